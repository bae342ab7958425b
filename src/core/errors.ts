// The one error table. Codes and names are ZooKeeper's (KeeperException.Code); every facade maps
// from this table and nowhere else: gRPC status, HTTP status, and the jute reply header's `err`.

import type { MultiResult } from './types.js';

export interface ErrorSpec {
  readonly name: string;
  readonly code: number;
  /** gRPC status code number (grpc.status). */
  readonly grpcStatus: number;
  /** HTTP status for the REST facade. */
  readonly httpStatus: number;
  /** A sentence a person understands. */
  readonly description: string;
}

// gRPC status numbers (kept here as plain numbers so core does not depend on grpc-js).
const GRPC = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

function spec(name: string, code: number, grpcStatus: number, httpStatus: number, description: string): ErrorSpec {
  return { name, code, grpcStatus, httpStatus, description };
}

export const ERRORS = {
  SystemError: spec('SystemError', -1, GRPC.INTERNAL, 500, 'An unexpected server error.'),
  RuntimeInconsistency: spec('RuntimeInconsistency', -2, GRPC.INTERNAL, 500, 'A runtime inconsistency was found.'),
  DataInconsistency: spec('DataInconsistency', -3, GRPC.DATA_LOSS, 500, 'A data inconsistency was found.'),
  ConnectionLoss: spec('ConnectionLoss', -4, GRPC.UNAVAILABLE, 503, 'The connection to the server was lost.'),
  MarshallingError: spec('MarshallingError', -5, GRPC.INVALID_ARGUMENT, 400, 'The request could not be decoded.'),
  Unimplemented: spec('Unimplemented', -6, GRPC.UNIMPLEMENTED, 501, 'The server does not support this operation.'),
  OperationTimeout: spec('OperationTimeout', -7, GRPC.DEADLINE_EXCEEDED, 504, 'The operation timed out.'),
  BadArguments: spec('BadArguments', -8, GRPC.INVALID_ARGUMENT, 400, 'The arguments are invalid.'),
  UnknownSession: spec('UnknownSession', -12, GRPC.NOT_FOUND, 404, 'The session is not known to the server.'),
  NewConfigNoQuorum: spec('NewConfigNoQuorum', -13, GRPC.FAILED_PRECONDITION, 409, 'The new configuration has no quorum.'),
  ReconfigInProgress: spec('ReconfigInProgress', -14, GRPC.ABORTED, 409, 'A reconfiguration is in progress.'),
  APIError: spec('APIError', -100, GRPC.UNKNOWN, 500, 'An API error.'),
  NoNode: spec('NoNode', -101, GRPC.NOT_FOUND, 404, 'The node does not exist.'),
  NoAuth: spec('NoAuth', -102, GRPC.PERMISSION_DENIED, 403, 'Not authorized for this operation on this node.'),
  BadVersion: spec('BadVersion', -103, GRPC.FAILED_PRECONDITION, 412, 'The expected version does not match the node.'),
  NoChildrenForEphemerals: spec('NoChildrenForEphemerals', -108, GRPC.FAILED_PRECONDITION, 409, 'Ephemeral nodes cannot have children.'),
  NodeExists: spec('NodeExists', -110, GRPC.ALREADY_EXISTS, 409, 'The node already exists.'),
  NotEmpty: spec('NotEmpty', -111, GRPC.FAILED_PRECONDITION, 409, 'The node has children.'),
  SessionExpired: spec('SessionExpired', -112, GRPC.UNAUTHENTICATED, 410, 'The session has expired or its password is wrong.'),
  InvalidCallback: spec('InvalidCallback', -113, GRPC.INVALID_ARGUMENT, 400, 'Invalid callback.'),
  InvalidACL: spec('InvalidACL', -114, GRPC.INVALID_ARGUMENT, 400, 'The ACL is invalid.'),
  AuthFailed: spec('AuthFailed', -115, GRPC.UNAUTHENTICATED, 401, 'Authentication failed.'),
  SessionMoved: spec('SessionMoved', -118, GRPC.FAILED_PRECONDITION, 409, 'The session moved to another server.'),
  NotReadOnly: spec('NotReadOnly', -119, GRPC.FAILED_PRECONDITION, 503, 'The server is read-only.'),
  EphemeralOnLocalSession: spec('EphemeralOnLocalSession', -120, GRPC.FAILED_PRECONDITION, 409, 'Ephemerals cannot be created on a local session.'),
  NoWatcher: spec('NoWatcher', -121, GRPC.NOT_FOUND, 404, 'No such watch is registered.'),
  RequestTimeout: spec('RequestTimeout', -122, GRPC.DEADLINE_EXCEEDED, 504, 'The request timed out.'),
  ReconfigDisabled: spec('ReconfigDisabled', -123, GRPC.FAILED_PRECONDITION, 403, 'Reconfiguration is disabled.'),
  SessionClosedRequireSasl: spec('SessionClosedRequireSasl', -124, GRPC.UNAUTHENTICATED, 401, 'The session requires SASL authentication.'),
  QuotaExceeded: spec('QuotaExceeded', -125, GRPC.RESOURCE_EXHAUSTED, 429, 'A quota was exceeded.'),
  Throttled: spec('Throttled', -127, GRPC.RESOURCE_EXHAUSTED, 429, 'The request was throttled.'),
} as const satisfies Record<string, ErrorSpec>;

export type ErrorName = keyof typeof ERRORS;

/**
 * Refusals an HTTP transport makes before a request reaches the pipeline, where HTTP has a more
 * precise status than the ZooKeeper error they are reported as: a body larger than
 * jute.maxbuffer is BadArguments (as the pipeline says of oversize data) with 413. Refusals that
 * are a matter of permission are NoAuth with 403: a cross-origin browser request, a disabled
 * admin command.
 */
export const HTTP_REFUSALS = {
  PayloadTooLarge: { error: 'BadArguments', httpStatus: 413 },
  /** A browser request from an origin that is neither the server's own nor in http.allowedOrigins. */
  CrossOrigin: { error: 'NoAuth', httpStatus: 403 },
  /** An admin command (or /metrics) whose four-letter word 4lw.commands.whitelist does not enable. */
  CommandDisabled: { error: 'NoAuth', httpStatus: 403 },
} as const satisfies Record<string, { error: ErrorName; httpStatus: number }>;

export type HttpRefusalName = keyof typeof HTTP_REFUSALS;

const BY_CODE: ReadonlyMap<number, ErrorSpec> = new Map(Object.values(ERRORS).map((e) => [e.code, e]));

export function errorByCode(code: number): ErrorSpec | undefined {
  return BY_CODE.get(code);
}

/** The error every layer throws or returns for a ZooKeeper-visible failure. */
export class KeeperError extends Error {
  readonly spec: ErrorSpec;
  readonly path: string | undefined;

  constructor(name: ErrorName, detail?: string, path?: string) {
    const spec = ERRORS[name];
    super(detail ?? (path === undefined ? spec.description : `${spec.description} (${path})`));
    this.name = `KeeperError.${spec.name}`;
    this.spec = spec;
    this.path = path;
  }

  get code(): number {
    return this.spec.code;
  }

  get codeName(): ErrorName {
    return this.spec.name as ErrorName;
  }
}

export function keeperError(name: ErrorName, path?: string, detail?: string): KeeperError {
  return new KeeperError(name, detail, path);
}

export function isKeeperError(value: unknown): value is KeeperError {
  return value instanceof KeeperError;
}

/** A broken invariant: crash loudly rather than corrupt state. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`invariant violated: ${message}`);
}

/**
 * The error a failed multi stands for on the facades that answer it with a status (REST, unary
 * gRPC): the first op with a real error, not a rolled-back one, decides it; undefined when the
 * multi succeeded.
 */
export function multiFailure(results: readonly MultiResult[], paths: readonly string[]): KeeperError | undefined {
  const index = results.findIndex((result) => result.op === 'error' && result.code !== 0 && result.code !== ERRORS.RuntimeInconsistency.code);
  if (index < 0) return undefined;
  const failed = results[index] as { code: number };
  const spec = errorByCode(failed.code);
  const path = paths[index];
  const detail = `operation ${index} of the transaction failed: ${spec?.description ?? `code ${failed.code}`} (${path}); nothing was applied`;
  return new KeeperError((spec?.name ?? 'SystemError') as ErrorName, detail, path);
}
