// HTTP sessions: open, keep alive, close.

import type { FastifyReply, FastifyRequest } from 'fastify';
import { keeperError } from '../../core/errors.js';
import { SESSION_HEADER, sendJson, type HttpContext } from './context.js';
import { peerIdentities, requestIdentities } from './identity.js';
import { parseSessionToken, sessionToken } from './sessions.js';

/** What a session asks for when the body names no timeout (a common ZooKeeper client default). */
const DEFAULT_TIMEOUT_MS = 30_000;

export async function createSession(context: HttpContext, http: FastifyRequest, reply: FastifyReply, body: { timeoutMs?: number }): Promise<FastifyReply> {
  const handle = await context.sessions.open(body.timeoutMs ?? DEFAULT_TIMEOUT_MS, requestIdentities(http.socket, http.headers.authorization));
  const password = Buffer.from(handle.password);
  return sendJson(
    reply,
    201,
    {
      sessionId: handle.sessionId,
      sessionIdHex: `0x${handle.sessionId.toString(16)}`,
      password: password.toString('base64'),
      timeoutMs: handle.timeoutMs,
      token: sessionToken(handle),
    },
    context.facade.lastZxid(),
  );
}

/** The token of a /v1/sessions/{sessionId} request, which must name that session. */
function tokenFor(http: FastifyRequest): string {
  const token = http.headers[SESSION_HEADER] as string;
  const named = Number.parseInt((http.params as { sessionId: string }).sessionId, 16);
  if (parseSessionToken(token).sessionId !== named) throw keeperError('BadArguments', undefined, 'the Cairn-Session token is for another session than the URL names');
  return token;
}

export async function keepAlive(context: HttpContext, http: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const handle = await context.sessions.resolve(tokenFor(http), peerIdentities(http.socket));
  const zxid = handle.ping();
  return sendJson(reply, 200, { sessionId: handle.sessionId, timeoutMs: handle.timeoutMs, zxid }, zxid);
}

export async function closeSession(context: HttpContext, http: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  await context.sessions.close(tokenFor(http), peerIdentities(http.socket));
  return reply.code(204).header('Cairn-Zxid', String(context.facade.lastZxid())).send();
}
