// What every HTTP handler shares: the facade, the HTTP sessions, and the one way a request runs
// (in the session its token names, or session-less with the caller's identities).

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Request, Response, Zxid } from '../../core/types.js';
import type { ServerFacade } from '../../server/facade.js';
import { basicCredentials, peerIdentities, requestIdentities } from './identity.js';
import type { HttpSessions } from './sessions.js';

export const ZXID_HEADER = 'Cairn-Zxid';
export const STAT_HEADER = 'Cairn-Stat';
export const SESSION_HEADER = 'cairn-session';

export interface HttpContext {
  facade: ServerFacade;
  sessions: HttpSessions;
  /** jute.maxbuffer: the largest znode data. */
  maxDataBytes: number;
}

export type Answer = { response: Response; zxid: Zxid };

/** Runs one core request for an HTTP request, in its session when it carries a token. */
export async function runRequest(context: HttpContext, http: FastifyRequest, request: Request): Promise<Answer> {
  const token = http.headers[SESSION_HEADER];
  if (typeof token === 'string' && token !== '') {
    const credentials = basicCredentials(http.headers.authorization);
    const handle = await context.sessions.resolve(token, peerIdentities(http.socket), credentials);
    return handle.submit(request);
  }
  return context.facade.submitStateless(request, requestIdentities(http.socket, http.headers.authorization));
}

/** JSON with a trailing newline, so that curl's output ends its line. */
export function sendJson(reply: FastifyReply, status: number, body: unknown, zxid?: Zxid): FastifyReply {
  if (zxid !== undefined) reply.header(ZXID_HEADER, String(zxid));
  return reply.code(status).type('application/json').send(`${JSON.stringify(body)}\n`);
}

/** The znode path a wildcard route was called with: "" is the root. */
export function znodePath(http: FastifyRequest): string {
  const rest = (http.params as Record<string, string | undefined>)['*'] ?? '';
  return `/${rest}`;
}

/** The URL of a znode, each component percent-encoded. */
export function znodeUrl(path: string): string {
  return `/v1/znodes/${path.split('/').slice(1).map(encodeURIComponent).join('/')}`;
}
