// POST /v1/txn (ZooKeeper multi), POST /v1/sync and GET /v1/whoami.

import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorByCode, keeperError, multiFailure } from '../../core/errors.js';
import { isTtl, type ACL, type MultiOp, type MultiResult } from '../../core/types.js';
import { runRequest, sendJson, type HttpContext } from './context.js';
import { createModeOf, DEFAULT_ACL, parseData, type DataEncoding } from './encoding.js';
import { keeperProblem, PROBLEM_MEDIA_TYPE } from './problem.js';

interface TxnOpBody {
  op: 'create' | 'delete' | 'setData' | 'check';
  path: string;
  data?: string | null;
  encoding?: DataEncoding;
  mode?: string;
  ttl?: number;
  acl?: ACL[];
  version?: number;
}

function multiOpOf(op: TxnOpBody, index: number): MultiOp {
  const where = `ops[${index}]`;
  switch (op.op) {
    case 'create': {
      const mode = createModeOf(op.mode);
      if (isTtl(mode) !== (op.ttl !== undefined)) throw keeperError('BadArguments', op.path, `${where}: ttl goes with, and only with, the TTL modes`);
      return {
        op: 'create',
        path: op.path,
        data: parseData(op.data, op.encoding, `${where}.data`),
        acl: op.acl ?? DEFAULT_ACL.map((entry) => ({ ...entry })),
        mode,
        ...(op.ttl === undefined ? {} : { ttl: op.ttl }),
      };
    }
    case 'delete':
      return { op: 'delete', path: op.path, version: op.version ?? -1 };
    case 'setData':
      return { op: 'setData', path: op.path, data: parseData(op.data, op.encoding, `${where}.data`), version: op.version ?? -1 };
    case 'check':
      return { op: 'check', path: op.path, version: op.version ?? -1 };
  }
}

function resultJson(result: MultiResult): Record<string, unknown> {
  switch (result.op) {
    case 'create':
      return { op: 'create', path: result.path, stat: result.stat };
    case 'setData':
      return { op: 'setData', stat: result.stat };
    case 'delete':
    case 'check':
      return { op: result.op };
    case 'error':
      return { op: 'error', code: result.code, name: result.code === 0 ? 'Ok' : (errorByCode(result.code)?.name ?? 'Unknown') };
  }
}

export async function multi(context: HttpContext, http: FastifyRequest, reply: FastifyReply, body: { ops: TxnOpBody[] }): Promise<FastifyReply> {
  const ops = body.ops.map(multiOpOf);
  const { response, zxid } = await runRequest(context, http, { op: 'multi', ops });
  if (response.op !== 'multi') throw keeperError('SystemError', undefined, 'unexpected response');
  const results = response.results.map(resultJson);
  const failure = multiFailure(response.results, ops.map((op) => op.path));
  if (failure === undefined) return sendJson(reply, 200, { results }, zxid);
  const problem = { ...keeperProblem(failure), zxid, results };
  return reply.code(problem.status).header('Cairn-Zxid', String(zxid)).type(PROBLEM_MEDIA_TYPE).send(`${JSON.stringify(problem)}\n`);
}

export async function sync(context: HttpContext, http: FastifyRequest, reply: FastifyReply, body: { path: string }): Promise<FastifyReply> {
  const { response, zxid } = await runRequest(context, http, { op: 'sync', path: body.path });
  if (response.op !== 'sync') throw keeperError('SystemError', body.path, 'unexpected response');
  return sendJson(reply, 200, { path: response.path, zxid }, zxid);
}

/** GET /v1/whoami: the identities the request (or its session) holds, as ZooKeeper's whoami lists them. */
export async function whoAmI(context: HttpContext, http: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { response } = await runRequest(context, http, { op: 'whoAmI' });
  if (response.op !== 'whoAmI') throw keeperError('SystemError', undefined, 'unexpected response');
  return sendJson(reply, 200, { clientInfo: response.clientInfo });
}
