// openapi.yaml is the contract of the HTTP port: the app registers its routes from the file's
// operations and validates query strings, headers and JSON bodies with the file's schemas, so
// the documentation cannot drift from what the server accepts.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { assert } from '../../core/errors.js';

export const OPENAPI_FILE = 'openapi.yaml';

export type HttpMethod = 'get' | 'head' | 'post' | 'put' | 'delete' | 'options';
const METHODS: readonly HttpMethod[] = ['get', 'head', 'post', 'put', 'delete', 'options'];

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: Record<string, unknown>;
}

export interface Operation {
  operationId: string;
  method: HttpMethod;
  /** The path as the file writes it, e.g. /v1/znodes/{path}. */
  path: string;
  parameters: Parameter[];
  /** Media type → schema of the request body, as written (with $refs). */
  requestBody: Record<string, Record<string, unknown>> | undefined;
  /** Status → media type → schema (an empty map for a response without a body). */
  responses: Map<number, Map<string, Record<string, unknown> | undefined>>;
}

export interface OpenApiDocument {
  text: string;
  document: Record<string, unknown>;
  operations: Operation[];
  /** A validator for the schema at a JSON pointer of the document, e.g. #/components/schemas/Stat. */
  validator(pointer: string): ValidateFunction;
  /** A validator for an inline schema that may $ref the document's components. */
  compile(schema: Record<string, unknown>): ValidateFunction;
}

/** The project root holds openapi.yaml; this module runs from src/ (tests) or dist/src/ (build). */
export function findOpenApiFile(startDirectory: string = dirname(fileURLToPath(import.meta.url))): string {
  let directory = startDirectory;
  for (;;) {
    const candidate = join(directory, OPENAPI_FILE);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(directory);
    if (parent === directory) throw new Error(`${OPENAPI_FILE} not found above ${startDirectory}`);
    directory = parent;
  }
}

const DOCUMENT_ID = 'cairn-openapi';

let loaded: OpenApiDocument | undefined;

export function loadOpenApi(file: string = findOpenApiFile()): OpenApiDocument {
  if (loaded !== undefined) return loaded;
  const text = readFileSync(file, 'utf8');
  const document = parse(text) as Record<string, unknown>;
  // One Ajv holds the whole document so that "#/components/..." references resolve inside it.
  // OpenAPI annotations (format: binary, style, explode) are not validation keywords.
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, useDefaults: true });
  ajv.addSchema({ $id: DOCUMENT_ID, components: document.components }, DOCUMENT_ID);
  let inline = 0;
  loaded = {
    text,
    document,
    operations: readOperations(document),
    validator(pointer: string) {
      const validate = ajv.getSchema(`${DOCUMENT_ID}${pointer}`);
      assert(validate !== undefined, `openapi.yaml has a schema at ${pointer}`);
      return validate;
    },
    compile(schema: Record<string, unknown>) {
      return ajv.compile({ $id: `${DOCUMENT_ID}-inline-${inline++}`, ...rebase(schema) });
    },
  };
  return loaded;
}

/** Inline schemas live in their own Ajv documents, so their local refs must name the main one. */
function rebase(schema: unknown): Record<string, unknown> {
  return JSON.parse(JSON.stringify(schema), (key, value: unknown) =>
    key === '$ref' && typeof value === 'string' && value.startsWith('#/') ? `${DOCUMENT_ID}${value}` : value,
  ) as Record<string, unknown>;
}

function readOperations(document: Record<string, unknown>): Operation[] {
  const operations: Operation[] = [];
  const paths = document.paths as Record<string, Record<string, unknown>>;
  for (const [path, item] of Object.entries(paths)) {
    const shared = ((item.parameters as unknown[]) ?? []).map((parameter) => resolve(document, parameter) as Parameter);
    for (const method of METHODS) {
      const operation = item[method] as Record<string, unknown> | undefined;
      if (operation === undefined) continue;
      const own = ((operation.parameters as unknown[]) ?? []).map((parameter) => resolve(document, parameter) as Parameter);
      const responses = new Map<number, Map<string, Record<string, unknown> | undefined>>();
      for (const [status, response] of Object.entries(operation.responses as Record<string, unknown>)) {
        const resolved = resolve(document, response) as { content?: Record<string, { schema?: Record<string, unknown> }> };
        const contents = new Map<string, Record<string, unknown> | undefined>();
        for (const [mediaType, content] of Object.entries(resolved.content ?? {})) contents.set(mediaType, content.schema);
        responses.set(Number(status), contents);
      }
      const body = operation.requestBody as { content?: Record<string, { schema?: Record<string, unknown> }> } | undefined;
      operations.push({
        operationId: operation.operationId as string,
        method,
        path,
        parameters: [...shared, ...own],
        requestBody:
          body?.content === undefined ? undefined : Object.fromEntries(Object.entries(body.content).map(([type, content]) => [type, content.schema ?? {}])),
        responses,
      });
    }
  }
  return operations;
}

/** Follows a local $ref (#/components/...) to what it names. */
function resolve(document: Record<string, unknown>, value: unknown): unknown {
  const reference = (value as { $ref?: unknown } | null)?.$ref;
  if (typeof reference !== 'string') return value;
  assert(reference.startsWith('#/'), `only local references are used (${reference})`);
  let target: unknown = document;
  for (const part of reference.slice(2).split('/')) target = (target as Record<string, unknown>)[part];
  assert(target !== undefined, `openapi.yaml defines ${reference}`);
  return resolve(document, target);
}

/** A fastify URL for a file path: a trailing {path} is the znode path (a wildcard), {x} is :x. */
export function fastifyUrl(path: string): string {
  return path.replace(/\{path\}$/, '*').replace(/\{([A-Za-z]+)\}/g, ':$1');
}

/** The JSON schema of an operation's query parameters; unknown parameters are refused. */
export function querySchema(operation: Operation): Record<string, unknown> | undefined {
  const query = operation.parameters.filter((parameter) => parameter.in === 'query');
  if (query.length === 0) return { type: 'object', additionalProperties: false, properties: {} };
  return {
    type: 'object',
    additionalProperties: false,
    required: query.filter((parameter) => parameter.required === true).map((parameter) => parameter.name),
    properties: Object.fromEntries(query.map((parameter) => [parameter.name, parameter.schema ?? {}])),
  };
}

/** The JSON schema of an operation's headers (fastify lower-cases their names). */
export function headerSchema(operation: Operation): Record<string, unknown> | undefined {
  const headers = operation.parameters.filter((parameter) => parameter.in === 'header' && parameter.name.toLowerCase() !== 'upgrade');
  if (headers.length === 0) return undefined;
  return {
    type: 'object',
    required: headers.filter((parameter) => parameter.required === true).map((parameter) => parameter.name.toLowerCase()),
    properties: Object.fromEntries(headers.map((parameter) => [parameter.name.toLowerCase(), parameter.schema ?? {}])),
  };
}
