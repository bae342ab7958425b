// How KeeperErrors travel over gRPC, in both directions.
//
// A failed call ends with the gRPC status the error table assigns to the ZooKeeper code, and
// trailing metadata that keeps the ZooKeeper identity of the error: `zk-code` (the number),
// `zk-name` and, when a path is involved, `zk-path`. On the session stream a failed request
// is an ErrorDetail message instead, with the same four facts. Anything that is not a
// KeeperError is reported as SystemError / INTERNAL with a fixed message, so no stack trace or
// internal detail reaches a client.

import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { errorByCode, isKeeperError, KeeperError, type ErrorName } from '../../core/errors.js';
import { keeperErrorFromCode } from './error-detail.js';

export { keeperErrorFromDetail } from './error-detail.js';
import type { ErrorDetail } from './generated/cairn/v1/ErrorDetail.js';

export const ZK_CODE_KEY = 'zk-code';
export const ZK_NAME_KEY = 'zk-name';
export const ZK_PATH_KEY = 'zk-path';
/** The server's last zxid when it answered a unary call (trailing metadata). */
export const ZK_ZXID_KEY = 'zk-zxid';
/** gRPC's rich error model: a serialized google.rpc.Status in the trailers. */
export const STATUS_DETAILS_KEY = 'grpc-status-details-bin';
/** The detail a failed unary Multi carries: every op's result. */
export const MULTI_RESPONSE_TYPE_URL = 'type.googleapis.com/cairn.v1.MultiResponse';

/** What grpc-js accepts to end a call with a status. */
export interface GrpcStatus {
  code: grpc.status;
  details: string;
  metadata: grpc.Metadata;
}

/** The KeeperError a value stands for; anything else becomes an opaque SystemError. */
export function asKeeperError(error: unknown): KeeperError {
  return isKeeperError(error) ? error : new KeeperError('SystemError');
}

// Metadata values must be printable ASCII; ZooKeeper paths are any Unicode. Percent-encode
// what does not fit, and '%' itself so that decoding is exact (as grpc-message does).
const NOT_PRINTABLE_ASCII = /[^\x20-\x24\x26-\x7e]/gu;

function encodeMetadataText(text: string): string | undefined {
  try {
    return text.replace(NOT_PRINTABLE_ASCII, (character) => encodeURIComponent(character));
  } catch {
    return undefined; // a lone surrogate cannot be encoded; such a path cannot be on the wire
  }
}

function decodeMetadataText(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** A KeeperError (or anything thrown) → the status and trailers a call ends with. */
export function toGrpcStatus(error: unknown, extra?: grpc.Metadata): GrpcStatus {
  const keeper = asKeeperError(error);
  const metadata = extra?.clone() ?? new grpc.Metadata();
  metadata.set(ZK_CODE_KEY, String(keeper.code));
  metadata.set(ZK_NAME_KEY, keeper.codeName);
  if (keeper.path !== undefined) {
    const encoded = encodeMetadataText(keeper.path);
    if (encoded !== undefined) metadata.set(ZK_PATH_KEY, encoded);
  }
  return { code: keeper.spec.grpcStatus, details: keeper.message, metadata };
}

/** A KeeperError (or anything thrown) → the ErrorDetail of a session stream Response. */
export function toErrorDetail(error: unknown): ErrorDetail {
  const keeper = asKeeperError(error);
  return { code: keeper.code, name: keeper.codeName, path: keeper.path ?? '', message: keeper.message };
}

// A status without a zk-code did not come from Cairn's error table: grpc-js itself ended the
// call (connection lost, deadline, message too large) or something in between did.
const NAME_BY_STATUS: ReadonlyMap<number, ErrorName> = new Map<number, ErrorName>([
  [grpc.status.UNAVAILABLE, 'ConnectionLoss'],
  [grpc.status.CANCELLED, 'ConnectionLoss'],
  [grpc.status.DEADLINE_EXCEEDED, 'OperationTimeout'],
  [grpc.status.UNIMPLEMENTED, 'Unimplemented'],
  [grpc.status.INVALID_ARGUMENT, 'BadArguments'],
  [grpc.status.UNAUTHENTICATED, 'AuthFailed'],
  [grpc.status.PERMISSION_DENIED, 'NoAuth'],
]);

function firstText(metadata: grpc.Metadata | undefined, key: string): string | undefined {
  const value = metadata?.get(key)[0];
  return typeof value === 'string' ? value : undefined;
}

/** A failed call as grpc-js reports it to a client → the KeeperError the server meant. */
export function keeperErrorFromStatus(error: Partial<grpc.StatusObject> & { message?: string }): KeeperError {
  const details = error.details ?? error.message ?? '';
  const encodedPath = firstText(error.metadata, ZK_PATH_KEY);
  const path = encodedPath === undefined ? undefined : decodeMetadataText(encodedPath);
  const codeText = firstText(error.metadata, ZK_CODE_KEY);
  const code = codeText === undefined ? Number.NaN : Number(codeText);
  if (Number.isInteger(code)) {
    return keeperErrorFromCode(code, details === '' ? (errorByCode(code)?.description ?? 'error') : details, path);
  }
  const name = NAME_BY_STATUS.get(error.code ?? grpc.status.UNKNOWN) ?? 'SystemError';
  const statusName = grpc.status[error.code ?? grpc.status.UNKNOWN] ?? String(error.code);
  return new KeeperError(name, `${statusName}: ${details}`, path);
}

/** Whether a value looks like what grpc-js hands a client for a failed call. */
export function isServiceError(error: unknown): error is grpc.ServiceError {
  return error instanceof Error && typeof (error as Partial<grpc.ServiceError>).code === 'number' && 'metadata' in error;
}

/** Anything a client call rejected with → a KeeperError. */
export function toKeeperError(error: unknown): KeeperError {
  if (isKeeperError(error)) return error;
  if (isServiceError(error)) return keeperErrorFromStatus(error);
  return new KeeperError('SystemError', error instanceof Error ? error.message : String(error));
}

// ---------------------------------------------------------------------------------------------
// google.rpc.Status { int32 code = 1; string message = 2; repeated google.protobuf.Any details = 3; }
// with Any { string type_url = 1; bytes value = 2; }: three fields, written by hand rather than
// loading googleapis' protos for them.

export interface StatusDetail {
  typeUrl: string;
  value: Uint8Array;
}

export interface RichStatus {
  code: number;
  message: string;
  details: StatusDetail[];
}

export function encodeRichStatus(status: RichStatus): Buffer {
  const writer = protobuf.Writer.create();
  if (status.code !== 0) writer.uint32((1 << 3) | 0).int32(status.code);
  if (status.message !== '') writer.uint32((2 << 3) | 2).string(status.message);
  for (const detail of status.details) {
    writer.uint32((3 << 3) | 2).fork();
    writer.uint32((1 << 3) | 2).string(detail.typeUrl);
    writer.uint32((2 << 3) | 2).bytes(detail.value);
    writer.ldelim();
  }
  return Buffer.from(writer.finish());
}

/** Throws on bytes that are not a google.rpc.Status. */
export function decodeRichStatus(bytes: Uint8Array): RichStatus {
  const reader = protobuf.Reader.create(bytes);
  const status: RichStatus = { code: 0, message: '', details: [] };
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    switch (tag) {
      case (1 << 3) | 0:
        status.code = reader.int32();
        break;
      case (2 << 3) | 2:
        status.message = reader.string();
        break;
      case (3 << 3) | 2: {
        const any = protobuf.Reader.create(reader.bytes());
        const detail: StatusDetail = { typeUrl: '', value: new Uint8Array(0) };
        while (any.pos < any.len) {
          const anyTag = any.uint32();
          if (anyTag === ((1 << 3) | 2)) detail.typeUrl = any.string();
          else if (anyTag === ((2 << 3) | 2)) detail.value = any.bytes();
          else any.skipType(anyTag & 7);
        }
        status.details.push(detail);
        break;
      }
      default:
        reader.skipType(tag & 7);
    }
  }
  return status;
}

/** The detail of a type in a failed call's trailers, if the server sent one. */
export function statusDetailOf(metadata: grpc.Metadata | undefined, typeUrl: string): Uint8Array | undefined {
  const value = metadata?.get(STATUS_DETAILS_KEY)[0];
  if (!(value instanceof Uint8Array)) return undefined;
  try {
    return decodeRichStatus(value).details.find((detail) => detail.typeUrl === typeUrl)?.value;
  } catch {
    return undefined;
  }
}
