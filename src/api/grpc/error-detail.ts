// A ZooKeeper error as the session stream's ErrorDetail carries it, back to a KeeperError. Kept
// apart from errors.ts (which speaks grpc-js's statuses and metadata) so that a client without
// grpc-js, the WebSocket one in a browser, shares it.

import { ERRORS, errorByCode, KeeperError, type ErrorName } from '../../core/errors.js';

export function keeperErrorFromCode(code: number, message: string, path: string | undefined): KeeperError {
  const spec = errorByCode(code);
  if (spec === undefined) return new KeeperError('SystemError', `unknown error code ${code}: ${message}`, path);
  return new KeeperError(spec.name as ErrorName, message, path);
}

/** A session stream ErrorDetail → the KeeperError it describes. */
export function keeperErrorFromDetail(detail: { code?: unknown; message?: unknown; path?: unknown }): KeeperError {
  const code = typeof detail.code === 'number' ? detail.code : ERRORS.SystemError.code;
  const message = typeof detail.message === 'string' && detail.message !== '' ? detail.message : (errorByCode(code)?.description ?? 'error');
  const path = typeof detail.path === 'string' && detail.path !== '' ? detail.path : undefined;
  return keeperErrorFromCode(code, message, path);
}
