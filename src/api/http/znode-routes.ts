// znodes as resources: /v1/znodes/{path} (data, children, Stat; create, set, delete, deleteall)
// and /v1/acl/{path} (getACL, setACL). Each handler turns the HTTP request into core requests
// and runs them through the facade, like every other transport.

import type { FastifyReply, FastifyRequest } from 'fastify';
import { isKeeperError, keeperError, multiFailure } from '../../core/errors.js';
import { joinPath } from '../../core/path.js';
import { isTtl, type ACL, type MultiOp, type Stat } from '../../core/types.js';
import { runRequest, sendJson, STAT_HEADER, znodePath, znodeUrl, type HttpContext } from './context.js';
import { createModeOf, DEFAULT_ACL, parseAclEntry, renderData } from './encoding.js';

type Query = Record<string, unknown>;

/** How many child Stats `stats=true` reads at a time. */
const CHILD_STAT_CONCURRENCY = 64;
/** Deletes per multi in a recursive delete. */
const DELETE_BATCH = 1000;
/** A recursive delete that keeps racing with creators gives up after this many rounds. */
const DELETE_ROUNDS = 3;

export function wantsRawData(http: FastifyRequest): boolean {
  const accept = http.headers.accept ?? '';
  return /application\/octet-stream/i.test(accept) && !/application\/json/i.test(accept);
}

function bodyData(http: FastifyRequest, query: Query): Uint8Array | null {
  if (query.data === 'null') return null;
  const body = http.body;
  return Buffer.isBuffer(body) ? new Uint8Array(body.buffer, body.byteOffset, body.byteLength) : new Uint8Array(0);
}

export async function getZnode(context: HttpContext, http: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const path = znodePath(http);
  const query = http.query as Query;
  switch (query.view) {
    case 'children':
      return getChildren(context, http, reply, path, query.stats === true);
    case 'stat': {
      const { response, zxid } = await runRequest(context, http, { op: 'exists', path, watch: false });
      if (response.op !== 'exists' || response.stat === null) throw keeperError('NoNode', path);
      return sendJson(reply, 200, { path, stat: response.stat }, zxid);
    }
    default: {
      const { response, zxid } = await runRequest(context, http, { op: 'getData', path, watch: false });
      if (response.op !== 'getData') throw keeperError('SystemError', path, 'unexpected response');
      if (wantsRawData(http)) {
        reply.header(STAT_HEADER, JSON.stringify(response.stat)).header('Cairn-Zxid', String(zxid));
        if (response.data === null) reply.header('Cairn-Data-Null', 'true');
        return reply.code(200).type('application/octet-stream').send(Buffer.from(response.data ?? new Uint8Array(0)));
      }
      return sendJson(reply, 200, { path, ...renderData(response.data, query.encoding === 'base64'), stat: response.stat }, zxid);
    }
  }
}

async function getChildren(context: HttpContext, http: FastifyRequest, reply: FastifyReply, path: string, withStats: boolean): Promise<FastifyReply> {
  const { response, zxid } = await runRequest(context, http, { op: 'getChildren', path, watch: false });
  if (response.op !== 'getChildren') throw keeperError('SystemError', path, 'unexpected response');
  const children = [...response.children].sort();
  if (!withStats) return sendJson(reply, 200, { path, children, stat: response.stat }, zxid);
  const childStats: Record<string, Stat> = {};
  let lastZxid = zxid;
  for (let start = 0; start < children.length; start += CHILD_STAT_CONCURRENCY) {
    const batch = children.slice(start, start + CHILD_STAT_CONCURRENCY);
    const answers = await Promise.all(batch.map((name) => runRequest(context, http, { op: 'exists', path: joinPath(path, name), watch: false })));
    answers.forEach((answer, index) => {
      lastZxid = Math.max(lastZxid, answer.zxid);
      if (answer.response.op === 'exists' && answer.response.stat !== null) childStats[batch[index] as string] = answer.response.stat;
    });
  }
  // Children deleted between the listing and their Stat are left out of both.
  return sendJson(reply, 200, { path, children: children.filter((name) => name in childStats), childStats, stat: response.stat }, lastZxid);
}

export async function headZnode(context: HttpContext, http: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const path = znodePath(http);
  const { response, zxid } = await runRequest(context, http, { op: 'exists', path, watch: false });
  reply.header('Cairn-Zxid', String(zxid));
  if (response.op !== 'exists' || response.stat === null) return reply.code(404).send();
  return reply.code(200).header(STAT_HEADER, JSON.stringify(response.stat)).send();
}

export async function createZnode(context: HttpContext, http: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const path = znodePath(http);
  const query = http.query as Query;
  const mode = createModeOf(query.mode as string | undefined);
  const acl: ACL[] = Array.isArray(query.acl) && query.acl.length > 0 ? (query.acl as string[]).map(parseAclEntry) : DEFAULT_ACL.map((entry) => ({ ...entry }));
  const ttl = query.ttl as number | undefined;
  if (isTtl(mode) && ttl === undefined) throw keeperError('BadArguments', path, `mode ${String(query.mode)} needs a ttl`);
  if (!isTtl(mode) && ttl !== undefined) throw keeperError('BadArguments', path, 'ttl is only for the TTL modes');
  const request = { op: 'create' as const, path, data: bodyData(http, query), acl, mode, ...(ttl === undefined ? {} : { ttl }) };
  const { response, zxid } = await runRequest(context, http, request);
  if (response.op !== 'create') throw keeperError('SystemError', path, 'unexpected response');
  reply.header('Location', znodeUrl(response.path));
  return sendJson(reply, 201, { path: response.path, stat: response.stat }, zxid);
}

export async function setZnode(context: HttpContext, http: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const path = znodePath(http);
  const query = http.query as Query;
  const { response, zxid } = await runRequest(context, http, { op: 'setData', path, data: bodyData(http, {}), version: query.version as number });
  if (response.op !== 'setData') throw keeperError('SystemError', path, 'unexpected response');
  return sendJson(reply, 200, { path, stat: response.stat }, zxid);
}

export async function deleteZnode(context: HttpContext, http: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const path = znodePath(http);
  const query = http.query as Query;
  const version = query.version as number;
  const zxid = query.recursive === true ? await deleteRecursive(context, http, path, version) : (await runRequest(context, http, { op: 'delete', path, version })).zxid;
  return reply.code(204).header('Cairn-Zxid', String(zxid)).send();
}

/**
 * zkCli's deleteall: list the subtree breadth first, then delete it bottom-up in atomic batches,
 * the node itself (at `version`) in the last. A concurrent create under the subtree makes a
 * batch fail with NotEmpty (or a concurrent delete with NoNode); the listing is then redone.
 */
async function deleteRecursive(context: HttpContext, http: FastifyRequest, root: string, version: number): Promise<number> {
  let lastError: unknown;
  for (let round = 0; round < DELETE_ROUNDS; round++) {
    const order = await listSubtree(context, http, root);
    if (order.length === 0) throw keeperError('NoNode', root);
    const deletions = order.reverse();
    try {
      let zxid = 0;
      for (let start = 0; start < deletions.length; start += DELETE_BATCH) {
        const batch = deletions.slice(start, start + DELETE_BATCH);
        const ops: MultiOp[] = batch.map((path) => ({ op: 'delete', path, version: path === root ? version : -1 }));
        const answer = await runRequest(context, http, { op: 'multi', ops });
        if (answer.response.op === 'multi') {
          const failure = multiFailure(answer.response.results, batch);
          if (failure !== undefined) throw failure;
        }
        zxid = answer.zxid;
      }
      return zxid;
    } catch (error) {
      const racing = isKeeperError(error) && (error.codeName === 'NotEmpty' || (error.codeName === 'NoNode' && error.path !== root));
      if (!racing) throw error;
      lastError = error;
    }
  }
  throw lastError;
}

async function listSubtree(context: HttpContext, http: FastifyRequest, root: string): Promise<string[]> {
  const order: string[] = [];
  const queue = [root];
  for (let index = 0; index < queue.length; index++) {
    const path = queue[index] as string;
    try {
      const { response } = await runRequest(context, http, { op: 'getChildren', path, watch: false });
      if (response.op !== 'getChildren') continue;
      order.push(path);
      for (const child of response.children) queue.push(joinPath(path, child));
    } catch (error) {
      // Gone meanwhile: nothing to delete there.
      if (isKeeperError(error) && error.codeName === 'NoNode') continue;
      throw error;
    }
  }
  return order;
}

export async function getAcl(context: HttpContext, http: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const path = znodePath(http);
  const { response, zxid } = await runRequest(context, http, { op: 'getACL', path });
  if (response.op !== 'getACL') throw keeperError('SystemError', path, 'unexpected response');
  return sendJson(reply, 200, { path, acl: response.acl, stat: response.stat }, zxid);
}

export async function setAcl(context: HttpContext, http: FastifyRequest, reply: FastifyReply, body: { acl: ACL[] }): Promise<FastifyReply> {
  const path = znodePath(http);
  const query = http.query as Query;
  const { response, zxid } = await runRequest(context, http, { op: 'setACL', path, acl: body.acl, version: query.version as number });
  if (response.op !== 'setACL') throw keeperError('SystemError', path, 'unexpected response');
  return sendJson(reply, 200, { path, stat: response.stat }, zxid);
}
