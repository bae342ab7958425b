// Proto3's JSON mapping, read strictly, for the WebSocket channel's text frames. protobufjs's
// fromObject is forgiving in ways that hide mistakes from a client's author: it knows only one
// spelling of a field (so `get_data` was silently dropped and the request had no op), ignores
// unknown fields (`{"nonsense":1}` was an empty message), and turns a string that is not a
// number into 0 (`"xid":"abc"`). This reader accepts what the mapping allows — the JSON name
// (lowerCamelCase) or the field's proto name, numbers or decimal strings for integers, enum
// names or numbers, base64 (standard or URL-safe) for bytes, null as "not set" — and refuses
// everything else with a message naming the field. Its output, keyed by JSON names, is what
// fromObject then turns into the message.

import protobuf from 'protobufjs';

/** Why a JSON value is not the message it claims to be; `where` is the field path. */
export class JsonMappingError extends Error {}

interface FieldSpec {
  field: protobuf.Field;
  jsonName: string;
}

interface TypeSpec {
  type: protobuf.Type;
  /** Both spellings → the field. */
  byName: Map<string, FieldSpec>;
  /** Real oneofs (not proto3 `optional`'s synthetic ones): JSON name of each member → the oneof's name. */
  oneofOf: Map<string, string>;
}

/** Proto3's JSON name: underscores dropped, the letter after each one upper-cased. */
export function jsonNameOf(protoName: string): string {
  return protoName.replace(/_+([a-zA-Z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

const specs = new WeakMap<protobuf.Type, TypeSpec>();

function specOf(type: protobuf.Type): TypeSpec {
  let spec = specs.get(type);
  if (spec === undefined) {
    const byName = new Map<string, FieldSpec>();
    const oneofOf = new Map<string, string>();
    for (const field of type.fieldsArray) {
      field.resolve();
      const fieldSpec = { field, jsonName: jsonNameOf(field.name) };
      byName.set(field.name, fieldSpec);
      byName.set(fieldSpec.jsonName, fieldSpec);
    }
    for (const oneof of type.oneofsArray) {
      // proto3 `optional` makes a oneof named after the field with a leading underscore.
      if (oneof.fieldsArray.length === 1 && oneof.name === `_${oneof.fieldsArray[0]!.name}`) continue;
      for (const member of oneof.fieldsArray) oneofOf.set(jsonNameOf(member.name), oneof.name);
    }
    spec = { type, byName, oneofOf };
    specs.set(type, spec);
  }
  return spec;
}

function fail(where: string, problem: string): never {
  throw new JsonMappingError(`${where}: ${problem}`);
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** A JSON value that must be the message `type` → the same message keyed by JSON names. */
export function readMessage(type: protobuf.Type, value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(where, `expected an object (${type.name}), got ${kindOf(value)}`);
  const spec = specOf(type);
  const out: Record<string, unknown> = {};
  const oneofSet = new Map<string, string>();
  for (const [key, item] of Object.entries(value)) {
    const fieldSpec = spec.byName.get(key);
    if (fieldSpec === undefined) fail(where, `unknown field "${key}" in ${type.name} (fields: ${type.fieldsArray.map((field) => jsonNameOf(field.name)).join(', ')})`);
    const { field, jsonName } = fieldSpec;
    const at = `${where}.${jsonName}`;
    if (jsonName in out) fail(at, `set twice (as "${field.name}" and "${jsonName}")`);
    if (item === null) continue; // the mapping's "not set" (a message field's absence)
    const oneof = spec.oneofOf.get(jsonName);
    if (oneof !== undefined) {
      const other = oneofSet.get(oneof);
      if (other !== undefined) fail(where, `"${other}" and "${jsonName}" are both set, but ${type.name}.${oneof} takes one`);
      oneofSet.set(oneof, jsonName);
    }
    out[jsonName] = field.repeated ? readRepeated(field, item, at) : readValue(field, item, at);
  }
  return out;
}

function readRepeated(field: protobuf.Field, value: unknown, where: string): unknown[] {
  if (field instanceof protobuf.MapField) fail(where, 'maps are not part of this API');
  if (!Array.isArray(value)) fail(where, `expected a list, got ${kindOf(value)}`);
  return value.map((item, index) => {
    if (item === null) fail(`${where}[${index}]`, 'null is not allowed in a list');
    return readValue(field, item, `${where}[${index}]`);
  });
}

const INT32 = { min: -0x8000_0000, max: 0x7fff_ffff };
const UINT32 = { min: 0, max: 0xffff_ffff };
const DECIMAL_INTEGER = /^-?(?:0|[1-9]\d*)$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;

function readValue(field: protobuf.Field, value: unknown, where: string): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return readMessage(resolved, value, where);
  if (resolved instanceof protobuf.Enum) return readEnum(resolved, value, where);
  switch (field.type) {
    case 'string':
      if (typeof value !== 'string') fail(where, `expected a string, got ${kindOf(value)}`);
      return value;
    case 'bool':
      if (typeof value !== 'boolean') fail(where, `expected true or false, got ${kindOf(value)}`);
      return value;
    case 'bytes':
      return readBytes(value, where);
    case 'int32':
    case 'sint32':
    case 'sfixed32':
      return readInteger(value, where, INT32);
    case 'uint32':
    case 'fixed32':
      return readInteger(value, where, UINT32);
    case 'int64':
    case 'sint64':
    case 'sfixed64':
    case 'uint64':
    case 'fixed64':
      // Exact only below 2^53 in JavaScript, and every int64 of this API fits there (see the proto).
      return readInteger(value, where, { min: field.type.startsWith('u') || field.type === 'fixed64' ? 0 : Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });
    case 'double':
    case 'float':
      return readFloat(value, where);
    default:
      return fail(where, `a field of type ${field.type} cannot be read`);
  }
}

/** A number, or a string of one, that is an integer within range. */
function readInteger(value: unknown, where: string, range: { min: number; max: number }): number {
  let number: number;
  if (typeof value === 'number') number = value;
  else if (typeof value === 'string' && DECIMAL_INTEGER.test(value)) number = Number(value);
  else fail(where, `expected an integer (a number or a decimal string), got ${typeof value === 'string' ? JSON.stringify(value) : kindOf(value)}`);
  if (!Number.isInteger(number) || number < range.min || number > range.max) fail(where, `${String(value)} is not an integer in [${range.min}, ${range.max}]`);
  return number;
}

function readFloat(value: unknown, where: string): number {
  if (typeof value === 'number') return value;
  if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') return Number(value);
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return fail(where, `expected a number, got ${kindOf(value)}`);
}

function readEnum(type: protobuf.Enum, value: unknown, where: string): number {
  if (typeof value === 'string') {
    const number = type.values[value];
    if (number === undefined) fail(where, `"${value}" is not a ${type.name} (one of ${Object.keys(type.values).join(', ')})`);
    return number;
  }
  // Proto3 enums are open: an unknown number passes here, and the API's own checks judge it.
  if (typeof value === 'number' && Number.isInteger(value) && value >= INT32.min && value <= INT32.max) return value;
  return fail(where, `expected a ${type.name} name or number, got ${kindOf(value)}`);
}

function readBytes(value: unknown, where: string): Buffer {
  if (typeof value !== 'string') fail(where, `expected base64 text, got ${kindOf(value)}`);
  const standard = value.replace(/-/g, '+').replace(/_/g, '/');
  if (!BASE64.test(standard)) fail(where, 'is not base64');
  return Buffer.from(standard, 'base64');
}
