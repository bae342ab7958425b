// Errors as application/problem+json (RFC 9457). The status comes from the one error table
// (src/core/errors.ts); the body keeps the ZooKeeper identity of the error: its code number and
// name, the path involved, and a sentence a person understands.

import type { FastifyError } from 'fastify';
import { HTTP_REFUSALS, isKeeperError, KeeperError, type HttpRefusalName } from '../../core/errors.js';

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code?: number;
  name?: string;
  path?: string;
  zxid?: number;
  results?: unknown[];
}

/** A refusal the HTTP layer makes itself, with the status the error table gives it. */
export class HttpRefusal extends Error {
  readonly keeper: KeeperError;
  readonly status: number;

  constructor(refusal: HttpRefusalName, detail: string, path?: string) {
    super(detail);
    const entry = HTTP_REFUSALS[refusal];
    this.keeper = new KeeperError(entry.error, detail, path);
    this.status = entry.httpStatus;
  }
}

/** A condition outside ZooKeeper's vocabulary: no route, no such command, not an upgrade. */
export class HttpOnlyProblem extends Error {
  constructor(
    readonly status: number,
    readonly kind: string,
    readonly title: string,
    detail: string,
  ) {
    super(detail);
  }
}

export function keeperProblem(error: KeeperError, status = error.spec.httpStatus): Problem {
  const problem: Problem = {
    type: `urn:zookeeper:error:${error.codeName}`,
    title: error.codeName,
    status,
    detail: error.message,
    code: error.code,
    name: error.codeName,
  };
  if (error.path !== undefined) problem.path = error.path;
  return problem;
}

/** Anything thrown while serving a request → the problem to answer. */
export function problemOf(error: unknown): Problem {
  if (isKeeperError(error)) return keeperProblem(error);
  if (error instanceof HttpRefusal) return keeperProblem(error.keeper, error.status);
  if (error instanceof HttpOnlyProblem) return { type: `urn:cairn:problem:${error.kind}`, title: error.title, status: error.status, detail: error.message };
  const fastifyError = error as Partial<FastifyError>;
  if (Array.isArray(fastifyError.validation)) {
    const where = fastifyError.validationContext ?? 'request';
    return keeperProblem(new KeeperError('BadArguments', `${where}: ${fastifyError.message ?? 'invalid'}`));
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return keeperProblem(new HttpRefusal('PayloadTooLarge', 'the request body is larger than this server accepts (jute.maxbuffer)').keeper, HTTP_REFUSALS.PayloadTooLarge.httpStatus);
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return keeperProblem(new KeeperError('MarshallingError', `the body is not valid JSON: ${fastifyError.message ?? ''}`));
    default:
      break;
  }
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { type: 'urn:cairn:problem:bad-request', title: 'Bad request', status, detail: fastifyError.message ?? 'bad request' };
  }
  return keeperProblem(new KeeperError('SystemError', 'unexpected server error'));
}
