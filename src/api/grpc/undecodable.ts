// Messages grpc-js could not decode. By default grpc-js answers an undecodable request with
// INTERNAL, which blames the server for the client's bytes. The service definition is wrapped
// so that a decoding failure yields a marker instead, and each handler answers the marker with
// MarshallingError (INVALID_ARGUMENT, zk-code -5), as for any other malformed request.

import type * as grpc from '@grpc/grpc-js';
import { keeperError, type KeeperError } from '../../core/errors.js';

const UNDECODABLE = Symbol('cairn.undecodable');

export interface Undecodable {
  readonly [UNDECODABLE]: string;
}

export function isUndecodable(value: unknown): value is Undecodable {
  return typeof value === 'object' && value !== null && UNDECODABLE in value;
}

/** The error an undecodable message is answered with. */
export function undecodableError(value: Undecodable, what: string): KeeperError {
  return keeperError('MarshallingError', undefined, `${what} could not be decoded: ${value[UNDECODABLE]}`);
}

/** The same service, with request decoding failures turned into markers. */
export function withTolerantDecoding(definition: grpc.ServiceDefinition): grpc.ServiceDefinition {
  const wrapped: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [name, method] of Object.entries(definition as Record<string, grpc.MethodDefinition<unknown, unknown>>)) {
    const decode = method.requestDeserialize;
    wrapped[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer): unknown => {
        try {
          return decode(bytes);
        } catch (error) {
          const marker: Undecodable = { [UNDECODABLE]: error instanceof Error ? error.message : String(error) };
          return marker;
        }
      },
    };
  }
  return wrapped as grpc.ServiceDefinition;
}
