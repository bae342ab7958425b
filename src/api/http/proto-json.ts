// The WebSocket session channel speaks the gRPC Session stream's messages (cairn.v1.ClientMessage
// and cairn.v1.ServerMessage from proto/cairn.proto): as the protobuf JSON mapping in text frames
// (int64 as strings, bytes as base64, enums by name), or as binary protobuf with the
// `cairn.v1.proto` subprotocol. Text frames are read strictly (strict-json.ts): a field spelled
// either way is taken, anything the mapping does not allow closes the socket with 1007 and the
// reason. Decoded messages take the shape the gRPC loader gives
// (src/api/grpc/loader.ts: longs and enums as numbers, defaults filled, oneof names), so the gRPC
// session stream logic serves both transports unchanged.

import protobuf from 'protobufjs';
import { keeperError } from '../../core/errors.js';
import { findProtoFile } from '../grpc/loader.js';
import { jsonNameOf, JsonMappingError, readMessage } from './strict-json.js';
import type { ClientMessage__Output } from '../grpc/generated/cairn/v1/ClientMessage.js';
import type { ServerMessage } from '../grpc/generated/cairn/v1/ServerMessage.js';

export const JSON_SUBPROTOCOL = 'cairn.v1.json';
export const PROTO_SUBPROTOCOL = 'cairn.v1.proto';
export type Subprotocol = typeof JSON_SUBPROTOCOL | typeof PROTO_SUBPROTOCOL;

/** The shape src/api/grpc/loader.ts's options give decoded messages. */
const LOADER_SHAPE: protobuf.IConversionOptions = { longs: Number, enums: Number, defaults: true, oneofs: true };
/** Proto3's canonical JSON mapping. */
const JSON_MAPPING: protobuf.IConversionOptions = { longs: String, enums: String, bytes: String, json: true };

interface Types {
  client: protobuf.Type;
  server: protobuf.Type;
  /** ClientMessage as the .proto file spells its fields, for the strict JSON reader. */
  clientAsWritten: protobuf.Type;
}

let types: Types | undefined;

function load(): Types {
  if (types === undefined) {
    const root = protobuf.loadSync(findProtoFile());
    const asWritten = new protobuf.Root().loadSync(findProtoFile(), { keepCase: true });
    types = { client: root.lookupType('cairn.v1.ClientMessage'), server: root.lookupType('cairn.v1.ServerMessage'), clientAsWritten: asWritten.lookupType('cairn.v1.ClientMessage') };
  }
  return types;
}

/** A frame from the client → the message the session stream expects; MarshallingError if garbled. */
export function decodeClientMessage(frame: Buffer, subprotocol: Subprotocol): ClientMessage__Output {
  const { client, clientAsWritten } = load();
  let message: protobuf.Message;
  try {
    message = subprotocol === PROTO_SUBPROTOCOL ? client.decode(frame) : client.fromObject(readClientJson(clientAsWritten, frame));
  } catch (error) {
    throw keeperError('MarshallingError', undefined, `not a cairn.v1.ClientMessage: ${error instanceof Error ? error.message : String(error)}`);
  }
  return client.toObject(message, LOADER_SHAPE) as ClientMessage__Output;
}

/**
 * A text frame → the message keyed by JSON names. Unlike a binary frame (where a member from a
 * newer schema is an unknown field, skipped), a JSON message must set exactly one kind.
 */
function readClientJson(type: protobuf.Type, frame: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(frame.toString('utf8'));
  } catch {
    throw new JsonMappingError('the frame is not JSON');
  }
  const message = readMessage(type, value, 'message');
  const kinds = type.oneofs.kind!.fieldsArray.map((field) => jsonNameOf(field.name));
  if (!kinds.some((kind) => kind in message)) throw new JsonMappingError(`message: set one of ${kinds.join(', ')}`);
  return message;
}

/**
 * The last watch event encoded: the server hands one change to every watcher in a row, so with
 * thousands of watchers one encoding serves them all.
 */
let lastEvent: { key: string; frame: string | Uint8Array } | undefined;

/** A message the session stream writes → a frame for the client. */
export function encodeServerMessage(message: ServerMessage, subprotocol: Subprotocol): string | Uint8Array {
  const event = message.event;
  if (event !== undefined && event !== null && Object.keys(message).length === 1) {
    const key = `${subprotocol}|${String(event.type)}|${String(event.state)}|${String(event.zxid)}|${event.path ?? ''}`;
    if (lastEvent?.key !== key) {
      const frame = encodeUncached(message, subprotocol);
      // As bytes, so that each socket does not convert the same text again.
      lastEvent = { key, frame: typeof frame === 'string' ? Buffer.from(frame, 'utf8') : frame };
    }
    return lastEvent.frame;
  }
  return encodeUncached(message, subprotocol);
}

function encodeUncached(message: ServerMessage, subprotocol: Subprotocol): string | Uint8Array {
  const { server } = load();
  const typed = server.fromObject(message as Record<string, unknown>);
  if (subprotocol === PROTO_SUBPROTOCOL) return server.encode(typed).finish();
  return JSON.stringify(server.toObject(typed, JSON_MAPPING));
}

/** For tests and clients: a client message (plain JSON mapping) → a frame. */
export function encodeClientMessage(message: Record<string, unknown>, subprotocol: Subprotocol): string | Uint8Array {
  const { client } = load();
  const typed = client.fromObject(message);
  return subprotocol === PROTO_SUBPROTOCOL ? client.encode(typed).finish() : JSON.stringify(client.toObject(typed, JSON_MAPPING));
}

/** For tests and clients: a server frame → the JSON mapping of the message. */
export function decodeServerMessage(frame: Buffer | string, subprotocol: Subprotocol): Record<string, unknown> {
  const { server } = load();
  const typed = subprotocol === PROTO_SUBPROTOCOL ? server.decode(frame as Buffer) : server.fromObject(JSON.parse(frame.toString()) as Record<string, unknown>);
  return server.toObject(typed, JSON_MAPPING);
}
