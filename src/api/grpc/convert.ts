// Pure conversions between the proto messages of cairn.v1 and the core contract.
//
// Inbound messages come from the wire, so nothing is trusted: a missing oneof member, a wrong
// JS type or a missing sub-message is a MarshallingError; a value of the right type that
// cannot mean anything (an unknown enum number, an int64 beyond 2^53, a ttl on a mode without
// one) is BadArguments. Paths are only checked to be strings here; the server pipeline
// validates them. Outbound conversions take core values, which the type system vouches for.

import { keeperError } from '../../core/errors.js';
import {
  ANY_VERSION,
  isCreateMode,
  isTtl,
  OPEN_ACL_UNSAFE,
  type ACL,
  type AddWatchMode,
  type CheckRequest,
  type CheckResponse,
  type CreateRequest,
  type CreateResponse,
  type Data,
  type DeleteRequest,
  type DeleteResponse,
  type EmptyResponse,
  type EventType,
  type ExistsRequest,
  type ExistsResponse,
  type GetACLRequest,
  type GetACLResponse,
  type GetAllChildrenNumberRequest,
  type GetAllChildrenNumberResponse,
  type GetChildrenRequest,
  type GetChildrenResponse,
  type GetDataRequest,
  type GetDataResponse,
  type GetEphemeralsRequest,
  type GetEphemeralsResponse,
  type Id,
  type KeeperState,
  type MultiOp,
  type MultiReadOp,
  type MultiReadRequest,
  type MultiReadResponse,
  type MultiReadResult,
  type MultiRequest,
  type MultiResponse,
  type MultiResult,
  type Request,
  type Response,
  type SetACLRequest,
  type SetACLResponse,
  type SetDataRequest,
  type SetDataResponse,
  type SetWatchesRequest,
  type Stat,
  type SyncRequest,
  type SyncResponse,
  type WatcherType,
  type WatchEvent,
  type WhoAmIResponse,
  type AddWatchRequest,
  type RemoveWatchesRequest,
  type CheckWatchesRequest,
  type AuthRequest,
  type WhoAmIRequest,
  type ErrorResult,
} from '../../core/types.js';
import { keeperErrorFromDetail } from './error-detail.js';
import type { ACL as ProtoACL, ACL__Output as ProtoACLOutput } from './generated/cairn/v1/ACL.js';
import type { ErrorResult as ProtoErrorResult, ErrorResult__Output as ProtoErrorResultOutput } from './generated/cairn/v1/ErrorResult.js';
import type { MultiOp as ProtoMultiOp } from './generated/cairn/v1/MultiOp.js';
import type { MultiReadOp as ProtoMultiReadOp } from './generated/cairn/v1/MultiReadOp.js';
import type { MultiReadResult as ProtoMultiReadResult, MultiReadResult__Output as ProtoMultiReadResultOutput } from './generated/cairn/v1/MultiReadResult.js';
import type { MultiResult as ProtoMultiResult, MultiResult__Output as ProtoMultiResultOutput } from './generated/cairn/v1/MultiResult.js';
import type { Request as ProtoRequest, Request__Output as ProtoRequestOutput } from './generated/cairn/v1/Request.js';
import type { Response as ProtoResponse, Response__Output as ProtoResponseOutput } from './generated/cairn/v1/Response.js';
import type { Stat as ProtoStat, Stat__Output as ProtoStatOutput } from './generated/cairn/v1/Stat.js';
import type { WatchEvent as ProtoWatchEvent, WatchEvent__Output as ProtoWatchEventOutput } from './generated/cairn/v1/WatchEvent.js';

// ---------------------------------------------------------------------------------------------
// Field names of the Request/Response oneofs and the core op each one carries.

/** The members of `Request.op` (camelCase, as the loader names them). */
export type RequestField = NonNullable<ProtoRequestOutput['op']>;
/** The members of `Response.result` other than `error`. */
export type ResponseField = Exclude<NonNullable<ProtoResponseOutput['result']>, 'error'>;

/** Which core request each oneof member becomes. */
export interface RequestByField {
  create: CreateRequest;
  delete: DeleteRequest;
  setData: SetDataRequest;
  check: CheckRequest;
  setAcl: SetACLRequest;
  multi: MultiRequest;
  getData: GetDataRequest;
  exists: ExistsRequest;
  getChildren: GetChildrenRequest;
  getAcl: GetACLRequest;
  getAllChildrenNumber: GetAllChildrenNumberRequest;
  getEphemerals: GetEphemeralsRequest;
  multiRead: MultiReadRequest;
  sync: SyncRequest;
  addWatch: AddWatchRequest;
  removeWatches: RemoveWatchesRequest;
  checkWatches: CheckWatchesRequest;
  setWatches: SetWatchesRequest;
  auth: AuthRequest;
  whoAmI: WhoAmIRequest;
}

/** Which core response each oneof member becomes. */
export interface ResponseByField {
  create: CreateResponse;
  delete: DeleteResponse;
  setData: SetDataResponse;
  check: CheckResponse;
  setAcl: SetACLResponse;
  multi: MultiResponse;
  getData: GetDataResponse;
  exists: ExistsResponse;
  getChildren: GetChildrenResponse;
  getAcl: GetACLResponse;
  getAllChildrenNumber: GetAllChildrenNumberResponse;
  getEphemerals: GetEphemeralsResponse;
  multiRead: MultiReadResponse;
  sync: SyncResponse;
  addWatch: EmptyResponse & { op: 'addWatch' };
  removeWatches: EmptyResponse & { op: 'removeWatches' };
  checkWatches: EmptyResponse & { op: 'checkWatches' };
  setWatches: EmptyResponse & { op: 'setWatches' };
  auth: EmptyResponse & { op: 'auth' };
  whoAmI: WhoAmIResponse;
}

/** The proto message (as decoded) carried by each Request oneof member. */
export type ProtoRequestOf<F extends RequestField> = NonNullable<ProtoRequestOutput[F]>;
/** The proto message (as written) carried by each Response oneof member. */
export type ProtoResponseOf<F extends ResponseField> = NonNullable<ProtoResponse[F]>;
/** The proto message (as decoded) carried by each Response oneof member. */
export type ProtoResponseOutputOf<F extends ResponseField> = NonNullable<ProtoResponseOutput[F]>;

/** Core op name → oneof member name; they differ only where the proto spells ACL "Acl". */
export const FIELD_BY_OP = {
  create: 'create',
  delete: 'delete',
  setData: 'setData',
  check: 'check',
  setACL: 'setAcl',
  multi: 'multi',
  getData: 'getData',
  exists: 'exists',
  getChildren: 'getChildren',
  getACL: 'getAcl',
  getAllChildrenNumber: 'getAllChildrenNumber',
  getEphemerals: 'getEphemerals',
  multiRead: 'multiRead',
  sync: 'sync',
  addWatch: 'addWatch',
  removeWatches: 'removeWatches',
  checkWatches: 'checkWatches',
  setWatches: 'setWatches',
  auth: 'auth',
  whoAmI: 'whoAmI',
} as const satisfies Record<Request['op'], RequestField> & Record<Response['op'], ResponseField>;

const REQUEST_FIELDS: readonly RequestField[] = Object.values(FIELD_BY_OP);
const RESPONSE_FIELDS: readonly ResponseField[] = Object.values(FIELD_BY_OP);

// ---------------------------------------------------------------------------------------------
// Checks for inbound values. `where` names the field in messages, e.g. "request.create.mode".

function marshalling(where: string, problem: string): never {
  throw keeperError('MarshallingError', undefined, `${where}: ${problem}`);
}

function badArgument(where: string, problem: string): never {
  throw keeperError('BadArguments', undefined, `${where}: ${problem}`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

function requireObject(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) marshalling(where, `expected a message, got ${describe(value)}`);
  return value as Record<string, unknown>;
}

function requireString(value: unknown, where: string): string {
  if (typeof value !== 'string') marshalling(where, `expected a string, got ${describe(value)}`);
  return value;
}

function requireBoolean(value: unknown, where: string): boolean {
  if (typeof value !== 'boolean') marshalling(where, `expected a boolean, got ${describe(value)}`);
  return value;
}

function requireNumber(value: unknown, where: string): number {
  if (typeof value !== 'number') marshalling(where, `expected a number, got ${describe(value)}`);
  return value;
}

const INT32_MIN = -0x8000_0000;
const INT32_MAX = 0x7fff_ffff;

/** An int32 field: versions, counts, permission bits, enum numbers. */
function requireInt32(value: unknown, where: string): number {
  const number = requireNumber(value, where);
  if (!Number.isInteger(number) || number < INT32_MIN || number > INT32_MAX) badArgument(where, `${number} is not a 32-bit integer`);
  return number;
}

/** An int64 field: the loader turns it into a JS number, exact only below 2^53. */
function requireSafeInteger(value: unknown, where: string): number {
  const number = requireNumber(value, where);
  if (!Number.isSafeInteger(number)) badArgument(where, `${number} is not an integer below 2^53`);
  return number;
}

function requireBytes(value: unknown, where: string): Uint8Array {
  if (!(value instanceof Uint8Array)) marshalling(where, `expected bytes, got ${describe(value)}`);
  return value;
}

/** `optional bytes`: absent is null, present (even empty) is data. */
function optionalBytes(value: unknown, where: string): Data {
  if (value === undefined || value === null) return null;
  return requireBytes(value, where);
}

function requireArray(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) marshalling(where, `expected a list, got ${describe(value)}`);
  return value;
}

function requireStrings(value: unknown, where: string): string[] {
  return requireArray(value, where).map((item, index) => requireString(item, `${where}[${index}]`));
}

/**
 * The one member set in a oneof. The loader names it in a virtual field; messages built by
 * hand may lack that field, so fall back to looking for the single member present.
 */
function oneofMember<F extends string>(message: Record<string, unknown>, virtualField: string, members: readonly F[], where: string): F {
  const named = message[virtualField];
  if (named !== undefined && named !== null) {
    if (typeof named !== 'string' || !(members as readonly string[]).includes(named)) marshalling(where, `unknown ${virtualField} "${String(named)}"`);
    return named as F;
  }
  const present = members.filter((member) => message[member] !== undefined && message[member] !== null);
  if (present.length === 0) marshalling(where, `no ${virtualField} is set`);
  if (present.length > 1) marshalling(where, `more than one ${virtualField} is set (${present.join(', ')})`);
  return present[0] as F;
}

function requireEnum<T extends number>(value: unknown, where: string, accepts: (number: number) => boolean, enumName: string): T {
  const number = requireNumber(value, where);
  if (!accepts(number)) badArgument(where, `${number} is not a ${enumName}`);
  return number as T;
}

const WATCHER_TYPES: ReadonlySet<number> = new Set([1, 2, 3, 4, 5]);
const ADD_WATCH_MODES: ReadonlySet<number> = new Set([0, 1]);
const EVENT_TYPES: ReadonlySet<number> = new Set([-1, 1, 2, 3, 4, 5, 6, 7]);
const KEEPER_STATES: ReadonlySet<number> = new Set([0, 3, 4, 5, 6, 7, -112]);

// ---------------------------------------------------------------------------------------------
// Stat, Id, ACL

export function statToProto(stat: Stat): ProtoStat {
  return {
    czxid: stat.czxid,
    mzxid: stat.mzxid,
    ctime: stat.ctime,
    mtime: stat.mtime,
    version: stat.version,
    cversion: stat.cversion,
    aversion: stat.aversion,
    ephemeralOwner: stat.ephemeralOwner,
    dataLength: stat.dataLength,
    numChildren: stat.numChildren,
    pzxid: stat.pzxid,
  };
}

export function statFromProto(value: ProtoStatOutput | null | undefined, where = 'stat'): Stat {
  const stat = requireObject(value, where);
  return {
    czxid: requireSafeInteger(stat.czxid, `${where}.czxid`),
    mzxid: requireSafeInteger(stat.mzxid, `${where}.mzxid`),
    ctime: requireSafeInteger(stat.ctime, `${where}.ctime`),
    mtime: requireSafeInteger(stat.mtime, `${where}.mtime`),
    version: requireInt32(stat.version, `${where}.version`),
    cversion: requireInt32(stat.cversion, `${where}.cversion`),
    aversion: requireInt32(stat.aversion, `${where}.aversion`),
    ephemeralOwner: requireSafeInteger(stat.ephemeralOwner, `${where}.ephemeralOwner`),
    dataLength: requireInt32(stat.dataLength, `${where}.dataLength`),
    numChildren: requireInt32(stat.numChildren, `${where}.numChildren`),
    pzxid: requireSafeInteger(stat.pzxid, `${where}.pzxid`),
  };
}

export function aclToProto(acl: readonly ACL[]): ProtoACL[] {
  return acl.map((entry) => ({ perms: entry.perms, id: { scheme: entry.id.scheme, id: entry.id.id } }));
}

function idFromProto(value: unknown, where: string): Id {
  const id = requireObject(value, where);
  return { scheme: requireString(id.scheme, `${where}.scheme`), id: requireString(id.id, `${where}.id`) };
}

export function aclFromProto(value: readonly ProtoACLOutput[] | null | undefined, where = 'acl'): ACL[] {
  return requireArray(value, where).map((item, index) => {
    const entry = requireObject(item, `${where}[${index}]`);
    return { perms: requireInt32(entry.perms, `${where}[${index}].perms`), id: idFromProto(entry.id, `${where}[${index}].id`) };
  });
}

// ---------------------------------------------------------------------------------------------
// Requests: proto → core (server side)

type RequestDecoder<F extends RequestField> = (message: Record<string, unknown>, where: string) => RequestByField[F];

function createFromProto(message: Record<string, unknown>, where: string): CreateRequest {
  const mode = requireEnum<CreateRequest['mode']>(message.mode, `${where}.mode`, isCreateMode, 'CreateMode');
  const ttl = requireSafeInteger(message.ttl, `${where}.ttl`);
  const request: CreateRequest = {
    op: 'create',
    path: requireString(message.path, `${where}.path`),
    data: optionalBytes(message.data, `${where}.data`),
    acl: createAclFromProto(message.acl, `${where}.acl`),
    mode,
  };
  if (isTtl(mode)) request.ttl = ttl;
  else if (ttl !== 0) badArgument(`${where}.ttl`, `mode ${mode} takes no ttl`);
  return request;
}

/** `optional int32 version`: absent means any version, ZooKeeper's -1. */
function optionalVersion(value: unknown, where: string): number {
  if (value === undefined || value === null) return ANY_VERSION;
  return requireInt32(value, where);
}

function pathAndVersion(message: Record<string, unknown>, where: string): { path: string; version: number } {
  return { path: requireString(message.path, `${where}.path`), version: optionalVersion(message.version, `${where}.version`) };
}

/** An empty ACL list on create is an open node on every facade but the ZooKeeper port (see proto/cairn.proto). */
function createAclFromProto(value: unknown, where: string): ACL[] {
  const acl = aclFromProto(value as ProtoACLOutput[], where);
  return acl.length === 0 ? OPEN_ACL_UNSAFE.map((entry) => ({ perms: entry.perms, id: { ...entry.id } })) : acl;
}

function pathAndWatch(message: Record<string, unknown>, where: string): { path: string; watch: boolean } {
  return { path: requireString(message.path, `${where}.path`), watch: requireBoolean(message.watch, `${where}.watch`) };
}

function pathOnly(message: Record<string, unknown>, where: string): { path: string } {
  return { path: requireString(message.path, `${where}.path`) };
}

const MULTI_OP_FIELDS = ['create', 'delete', 'setData', 'check'] as const;
const MULTI_READ_OP_FIELDS = ['getData', 'getChildren'] as const;

function multiOpFromProto(value: unknown, where: string): MultiOp {
  const op = requireObject(value, where);
  const field = oneofMember(op, 'op', MULTI_OP_FIELDS, where);
  return REQUEST_DECODERS[field](requireObject(op[field], `${where}.${field}`), `${where}.${field}`);
}

function multiReadOpFromProto(value: unknown, where: string): MultiReadOp {
  const op = requireObject(value, where);
  const field = oneofMember(op, 'op', MULTI_READ_OP_FIELDS, where);
  return REQUEST_DECODERS[field](requireObject(op[field], `${where}.${field}`), `${where}.${field}`);
}

function watcherTypeOf(value: unknown, where: string): WatcherType {
  return requireEnum<WatcherType>(value, where, (number) => WATCHER_TYPES.has(number), 'WatcherType');
}

const REQUEST_DECODERS: { [F in RequestField]: RequestDecoder<F> } = {
  create: createFromProto,
  delete: (message, where) => ({ op: 'delete', ...pathAndVersion(message, where) }),
  setData: (message, where) => ({
    op: 'setData',
    path: requireString(message.path, `${where}.path`),
    data: optionalBytes(message.data, `${where}.data`),
    version: optionalVersion(message.version, `${where}.version`),
  }),
  check: (message, where) => ({ op: 'check', ...pathAndVersion(message, where) }),
  setAcl: (message, where) => ({
    op: 'setACL',
    ...pathAndVersion(message, where),
    acl: aclFromProto(message.acl as ProtoACLOutput[], `${where}.acl`),
  }),
  multi: (message, where) => ({
    op: 'multi',
    ops: requireArray(message.ops, `${where}.ops`).map((op, index) => multiOpFromProto(op, `${where}.ops[${index}]`)),
  }),
  getData: (message, where) => ({ op: 'getData', ...pathAndWatch(message, where) }),
  exists: (message, where) => ({ op: 'exists', ...pathAndWatch(message, where) }),
  getChildren: (message, where) => ({ op: 'getChildren', ...pathAndWatch(message, where) }),
  getAcl: (message, where) => ({ op: 'getACL', ...pathOnly(message, where) }),
  getAllChildrenNumber: (message, where) => ({ op: 'getAllChildrenNumber', ...pathOnly(message, where) }),
  getEphemerals: (message, where) => ({ op: 'getEphemerals', prefixPath: requireString(message.prefixPath, `${where}.prefixPath`) }),
  multiRead: (message, where) => ({
    op: 'multiRead',
    ops: requireArray(message.ops, `${where}.ops`).map((op, index) => multiReadOpFromProto(op, `${where}.ops[${index}]`)),
  }),
  sync: (message, where) => ({ op: 'sync', ...pathOnly(message, where) }),
  addWatch: (message, where) => ({
    op: 'addWatch',
    path: requireString(message.path, `${where}.path`),
    mode: requireEnum<AddWatchMode>(message.mode, `${where}.mode`, (number) => ADD_WATCH_MODES.has(number), 'AddWatchMode'),
  }),
  removeWatches: (message, where) => ({ op: 'removeWatches', ...pathOnly(message, where), type: watcherTypeOf(message.type, `${where}.type`) }),
  checkWatches: (message, where) => ({ op: 'checkWatches', ...pathOnly(message, where), type: watcherTypeOf(message.type, `${where}.type`) }),
  setWatches: (message, where) => ({
    op: 'setWatches',
    relativeZxid: requireSafeInteger(message.relativeZxid, `${where}.relativeZxid`),
    dataWatches: requireStrings(message.dataWatches, `${where}.dataWatches`),
    existWatches: requireStrings(message.existWatches, `${where}.existWatches`),
    childWatches: requireStrings(message.childWatches, `${where}.childWatches`),
    persistentWatches: requireStrings(message.persistentWatches, `${where}.persistentWatches`),
    persistentRecursiveWatches: requireStrings(message.persistentRecursiveWatches, `${where}.persistentRecursiveWatches`),
  }),
  auth: (message, where) => ({
    op: 'auth',
    scheme: requireString(message.scheme, `${where}.scheme`),
    credentials: requireBytes(message.credentials, `${where}.credentials`),
  }),
  whoAmI: () => ({ op: 'whoAmI' }),
};

/** One request message (a unary call's argument, or a member of `Request.op`) → core. */
export function requestFromProto<F extends RequestField>(field: F, message: ProtoRequestOf<F> | null | undefined, where: string = field): RequestByField[F] {
  const decode = REQUEST_DECODERS[field] as RequestDecoder<F>;
  return decode(requireObject(message, where), where);
}

/** The session stream's xid; echoed back, so it must survive the round trip exactly. */
export function xidFromProto(request: ProtoRequestOutput): number {
  return requireSafeInteger(requireObject(request, 'request').xid, 'request.xid');
}

/** A session stream `Request` → core (the xid is read separately with xidFromProto). */
export function sessionRequestFromProto(request: ProtoRequestOutput | null | undefined): Request {
  const envelope = requireObject(request, 'request');
  const field = oneofMember(envelope, 'op', REQUEST_FIELDS, 'request');
  return requestFromProto(field, envelope[field] as ProtoRequestOf<typeof field>, `request.${field}`);
}

// ---------------------------------------------------------------------------------------------
// Requests: core → proto (client side)

type ProtoRequestPayload = Omit<ProtoRequest, 'xid' | 'op'>;

function multiOpToProto(op: MultiOp): ProtoMultiOp {
  switch (op.op) {
    case 'create':
      return { create: requestToProtoMessage(op) };
    case 'delete':
      return { delete: requestToProtoMessage(op) };
    case 'setData':
      return { setData: requestToProtoMessage(op) };
    case 'check':
      return { check: requestToProtoMessage(op) };
  }
}

function multiReadOpToProto(op: MultiReadOp): ProtoMultiReadOp {
  return op.op === 'getData' ? { getData: requestToProtoMessage(op) } : { getChildren: requestToProtoMessage(op) };
}

/** `optional bytes`: null is left out, which the wire reads back as absent. */
function dataToProto(data: Data): Uint8Array | undefined {
  return data === null ? undefined : data;
}

type ProtoRequestMessageOf<R extends Request> = NonNullable<ProtoRequest[(typeof FIELD_BY_OP)[R['op']]]>;

/** One core request → the proto message a unary call takes (or a `Request.op` member carries). */
export function requestToProtoMessage<R extends Request>(request: R): ProtoRequestMessageOf<R>;
export function requestToProtoMessage(request: Request): unknown {
  switch (request.op) {
    case 'create':
      return { path: request.path, data: dataToProto(request.data), acl: aclToProto(request.acl), mode: request.mode, ttl: request.ttl ?? 0 };
    case 'delete':
    case 'check':
      return { path: request.path, version: request.version };
    case 'setData':
      return { path: request.path, data: dataToProto(request.data), version: request.version };
    case 'setACL':
      return { path: request.path, acl: aclToProto(request.acl), version: request.version };
    case 'multi':
      return { ops: request.ops.map(multiOpToProto) };
    case 'getData':
    case 'exists':
    case 'getChildren':
      return { path: request.path, watch: request.watch };
    case 'getACL':
    case 'getAllChildrenNumber':
    case 'sync':
      return { path: request.path };
    case 'getEphemerals':
      return { prefixPath: request.prefixPath };
    case 'multiRead':
      return { ops: request.ops.map(multiReadOpToProto) };
    case 'addWatch':
      return { path: request.path, mode: request.mode };
    case 'removeWatches':
    case 'checkWatches':
      return { path: request.path, type: request.type };
    case 'setWatches':
      return {
        relativeZxid: request.relativeZxid,
        dataWatches: request.dataWatches,
        existWatches: request.existWatches,
        childWatches: request.childWatches,
        persistentWatches: request.persistentWatches,
        persistentRecursiveWatches: request.persistentRecursiveWatches,
      };
    case 'auth':
      return { scheme: request.scheme, credentials: request.credentials };
    case 'whoAmI':
      return {};
  }
}

/** One core request → the `op` oneof of a session stream `Request` (the caller adds the xid). */
export function requestToProto(request: Request): ProtoRequestPayload {
  return { [FIELD_BY_OP[request.op]]: requestToProtoMessage(request) } as ProtoRequestPayload;
}

// ---------------------------------------------------------------------------------------------
// Responses: core → proto (server side)

type ProtoResponsePayload = Omit<ProtoResponse, 'xid' | 'zxid' | 'result'>;

function errorResultToProto(result: ErrorResult): ProtoErrorResult {
  return { code: result.code };
}

function multiResultToProto(result: MultiResult): ProtoMultiResult {
  switch (result.op) {
    case 'create':
      return { create: responseToProtoMessage(result) };
    case 'delete':
      return { delete: {} };
    case 'setData':
      return { setData: responseToProtoMessage(result) };
    case 'check':
      return { check: {} };
    case 'error':
      return { error: errorResultToProto(result) };
  }
}

function multiReadResultToProto(result: MultiReadResult): ProtoMultiReadResult {
  switch (result.op) {
    case 'getData':
      return { getData: responseToProtoMessage(result) };
    case 'getChildren':
      return { getChildren: responseToProtoMessage(result) };
    case 'error':
      return { error: errorResultToProto(result) };
  }
}

type ProtoResponseMessageOf<R extends Response> = NonNullable<ProtoResponse[(typeof FIELD_BY_OP)[R['op']]]>;

/** One core response → the proto message a unary call returns (or a `Response.result` member carries). */
export function responseToProtoMessage<R extends Response>(response: R): ProtoResponseMessageOf<R>;
export function responseToProtoMessage(response: Response): unknown {
  switch (response.op) {
    case 'create':
      return { path: response.path, stat: statToProto(response.stat) };
    case 'setData':
    case 'setACL':
      return { stat: statToProto(response.stat) };
    case 'multi':
      return { results: response.results.map(multiResultToProto) };
    case 'getData':
      return { data: dataToProto(response.data), stat: statToProto(response.stat) };
    case 'exists':
      return response.stat === null ? {} : { stat: statToProto(response.stat) };
    case 'getChildren':
      return { children: response.children, stat: statToProto(response.stat) };
    case 'getACL':
      return { acl: aclToProto(response.acl), stat: statToProto(response.stat) };
    case 'getAllChildrenNumber':
      return { totalNumber: response.totalNumber };
    case 'getEphemerals':
      return { paths: response.paths };
    case 'multiRead':
      return { results: response.results.map(multiReadResultToProto) };
    case 'sync':
      return { path: response.path };
    case 'whoAmI':
      return { clientInfo: response.clientInfo.map((info) => ({ authScheme: info.authScheme, user: info.user })) };
    case 'delete':
    case 'check':
    case 'addWatch':
    case 'removeWatches':
    case 'checkWatches':
    case 'setWatches':
    case 'auth':
      return {};
  }
}

/** One core response → the `result` oneof of a session stream `Response` (the caller adds xid and zxid). */
export function responseToProto(response: Response): ProtoResponsePayload {
  return { [FIELD_BY_OP[response.op]]: responseToProtoMessage(response) } as ProtoResponsePayload;
}

/**
 * The message a unary call of `field` returns. The facade answers a request with the response
 * of the same op; anything else is a server bug, reported as SystemError.
 */
export function unaryResponseToProto<F extends ResponseField>(field: F, response: Response): ProtoResponseOf<F> {
  if (FIELD_BY_OP[response.op] !== field) {
    throw keeperError('SystemError', undefined, `expected a ${field} response, got ${response.op}`);
  }
  return responseToProtoMessage(response) as unknown as ProtoResponseOf<F>;
}

// ---------------------------------------------------------------------------------------------
// Responses: proto → core (client side)

type ResponseDecoder<F extends ResponseField> = (message: Record<string, unknown>, where: string) => ResponseByField[F];

const MULTI_RESULT_FIELDS = ['create', 'delete', 'setData', 'check', 'error'] as const;
const MULTI_READ_RESULT_FIELDS = ['getData', 'getChildren', 'error'] as const;

function errorResultFromProto(value: ProtoErrorResultOutput | Record<string, unknown>, where: string): ErrorResult {
  return { op: 'error', code: requireInt32(requireObject(value, where).code, `${where}.code`) };
}

function multiResultFromProto(value: ProtoMultiResultOutput, where: string): MultiResult {
  const result = requireObject(value, where);
  const field = oneofMember(result, 'result', MULTI_RESULT_FIELDS, where);
  const member = requireObject(result[field], `${where}.${field}`);
  return field === 'error' ? errorResultFromProto(member, `${where}.error`) : RESPONSE_DECODERS[field](member, `${where}.${field}`);
}

function multiReadResultFromProto(value: ProtoMultiReadResultOutput, where: string): MultiReadResult {
  const result = requireObject(value, where);
  const field = oneofMember(result, 'result', MULTI_READ_RESULT_FIELDS, where);
  const member = requireObject(result[field], `${where}.${field}`);
  return field === 'error' ? errorResultFromProto(member, `${where}.error`) : RESPONSE_DECODERS[field](member, `${where}.${field}`);
}

function statOnly(message: Record<string, unknown>, where: string): { stat: Stat } {
  return { stat: statFromProto(message.stat as ProtoStatOutput, `${where}.stat`) };
}

const RESPONSE_DECODERS: { [F in ResponseField]: ResponseDecoder<F> } = {
  create: (message, where) => ({ op: 'create', path: requireString(message.path, `${where}.path`), ...statOnly(message, where) }),
  delete: () => ({ op: 'delete' }),
  setData: (message, where) => ({ op: 'setData', ...statOnly(message, where) }),
  check: () => ({ op: 'check' }),
  setAcl: (message, where) => ({ op: 'setACL', ...statOnly(message, where) }),
  multi: (message, where) => ({
    op: 'multi',
    results: requireArray(message.results, `${where}.results`).map((result, index) =>
      multiResultFromProto(result as ProtoMultiResultOutput, `${where}.results[${index}]`),
    ),
  }),
  getData: (message, where) => ({ op: 'getData', data: optionalBytes(message.data, `${where}.data`), ...statOnly(message, where) }),
  exists: (message, where) => ({
    op: 'exists',
    stat: message.stat === undefined || message.stat === null ? null : statFromProto(message.stat as ProtoStatOutput, `${where}.stat`),
  }),
  getChildren: (message, where) => ({
    op: 'getChildren',
    children: requireStrings(message.children, `${where}.children`),
    ...statOnly(message, where),
  }),
  getAcl: (message, where) => ({ op: 'getACL', acl: aclFromProto(message.acl as ProtoACLOutput[], `${where}.acl`), ...statOnly(message, where) }),
  getAllChildrenNumber: (message, where) => ({
    op: 'getAllChildrenNumber',
    totalNumber: requireInt32(message.totalNumber, `${where}.totalNumber`),
  }),
  getEphemerals: (message, where) => ({ op: 'getEphemerals', paths: requireStrings(message.paths, `${where}.paths`) }),
  multiRead: (message, where) => ({
    op: 'multiRead',
    results: requireArray(message.results, `${where}.results`).map((result, index) =>
      multiReadResultFromProto(result as ProtoMultiReadResultOutput, `${where}.results[${index}]`),
    ),
  }),
  sync: (message, where) => ({ op: 'sync', path: requireString(message.path, `${where}.path`) }),
  addWatch: () => ({ op: 'addWatch' }),
  removeWatches: () => ({ op: 'removeWatches' }),
  checkWatches: () => ({ op: 'checkWatches' }),
  setWatches: () => ({ op: 'setWatches' }),
  auth: () => ({ op: 'auth' }),
  whoAmI: (message, where) => ({
    op: 'whoAmI',
    clientInfo: requireArray(message.clientInfo, `${where}.clientInfo`).map((item, index) => {
      const info = requireObject(item, `${where}.clientInfo[${index}]`);
      return {
        authScheme: requireString(info.authScheme, `${where}.clientInfo[${index}].authScheme`),
        user: requireString(info.user, `${where}.clientInfo[${index}].user`),
      };
    }),
  }),
};

/** One response message (a unary call's answer, or a member of `Response.result`) → core. */
export function responseFromProto<F extends ResponseField>(field: F, message: ProtoResponseOutputOf<F> | null | undefined, where: string = field): ResponseByField[F] {
  const decode = RESPONSE_DECODERS[field] as ResponseDecoder<F>;
  return decode(requireObject(message, where), where);
}

/**
 * A session stream `Response` → core. An `error` result is thrown as the KeeperError it
 * describes, so a caller awaiting the answer simply rejects with it.
 */
export function sessionResponseFromProto(response: ProtoResponseOutput | null | undefined): Response {
  const envelope = requireObject(response, 'response');
  const field = oneofMember(envelope, 'result', [...RESPONSE_FIELDS, 'error'] as const, 'response');
  if (field === 'error') throw keeperErrorFromDetail(requireObject(envelope.error, 'response.error'));
  return responseFromProto(field, envelope[field] as ProtoResponseOutputOf<typeof field>, `response.${field}`);
}

// ---------------------------------------------------------------------------------------------
// Watch events

export function watchEventToProto(event: WatchEvent): ProtoWatchEvent {
  return { type: event.type, state: event.state, path: event.path, zxid: event.zxid };
}

export function watchEventFromProto(value: ProtoWatchEventOutput | null | undefined, where = 'event'): WatchEvent {
  const event = requireObject(value, where);
  return {
    type: requireEnum<EventType>(event.type, `${where}.type`, (number) => EVENT_TYPES.has(number), 'EventType'),
    state: requireEnum<KeeperState>(event.state, `${where}.state`, (number) => KEEPER_STATES.has(number), 'KeeperState'),
    path: requireString(event.path, `${where}.path`),
    zxid: requireSafeInteger(event.zxid, `${where}.zxid`),
  };
}

/** Exposed for the session stream's own fields (session ids, timeouts, ping ids). */
export const validate = {
  object: requireObject,
  string: requireString,
  boolean: requireBoolean,
  int32: requireInt32,
  safeInteger: requireSafeInteger,
  bytes: requireBytes,
} as const;

