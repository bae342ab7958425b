// The HTTP port: REST, Server-Sent Events, the WebSocket session channel, admin commands,
// metrics, health, and the OpenAPI document with its rendering at /docs. Routes come from
// openapi.yaml (see openapi.ts); every request runs through the facade, like gRPC's. Which web
// pages may use the port, and CORS for them, is origins.ts; which admin commands it answers is
// admin-policy.ts, shared with the client port's four-letter words.

import type { Server as TlsServer, TLSSocket } from 'node:tls';
import { clientCertificateRefusal, type TlsContext } from '../../server/tls.js';
import { rememberCertificate } from './identity.js';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { Logger } from 'pino';
import type { AuthId } from '../../core/acl.js';
import { assert, isKeeperError, keeperError } from '../../core/errors.js';
import type { ACL } from '../../core/types.js';
import type { ServerConfig } from '../../server/config.js';
import type { ServerFacade } from '../../server/facade.js';
import { DEFAULT_SESSION_STREAM_SETTINGS } from '../grpc/service.js';
import { commandPolicy } from '../admin-policy.js';
import { admitCommand, listCommands, METRICS_WORD, runCommand, type AdminContext, type AdminSource, type TransportCounts } from './admin.js';
import { sendJson, type HttpContext } from './context.js';
import { METRICS_CONTENT_TYPE, renderMetrics } from './metrics.js';
import { fastifyUrl, headerSchema, loadOpenApi, querySchema, type Operation } from './openapi.js';
import { addCorsHeaders, OriginPolicy, preflightHeaders, CORS_ALLOWED_METHODS } from './origins.js';
import { HttpOnlyProblem, PROBLEM_MEDIA_TYPE, problemOf } from './problem.js';
import type { RequestMeter } from './request-meter.js';
import { closeSession, createSession, keepAlive } from './session-routes.js';
import { HttpSessions } from './sessions.js';
import { SseStreams } from './sse.js';
import { multi, sync, whoAmI } from './txn-routes.js';
import { WatchHistory } from './watch-history.js';
import { WebSocketChannels } from './websocket.js';
import { createZnode, deleteZnode, getAcl, getZnode, headZnode, setAcl, setZnode } from './znode-routes.js';

export interface HttpLimits {
  /** Sessions held for HTTP requests. */
  maxHttpSessions: number;
  /** Events kept for Last-Event-ID resumes. */
  historyEvents: number;
  /** Unread bytes an SSE client may have before it is cut. */
  sseMaxBufferedBytes: number;
  sseHeartbeatMs: number;
  /** Unsent bytes in a WebSocket before messages queue, and what may queue before a cut. */
  wsHighWaterBytes: number;
  wsMaxQueuedMessages: number;
  wsMaxQueuedBytes: number;
  wsPingIntervalMs: number;
  /**
   * A closing stream (an SSE stream that ended, a WebSocket sent its close) whose client takes
   * none of what is left for this long, or takes it all and does not answer the close, has its
   * socket destroyed.
   */
  closeGraceMs: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = Object.freeze({
  maxHttpSessions: 10_000,
  historyEvents: 10_000,
  sseMaxBufferedBytes: 4 * 1024 * 1024,
  sseHeartbeatMs: 15_000,
  wsHighWaterBytes: 1024 * 1024,
  wsMaxQueuedMessages: 10_000,
  wsMaxQueuedBytes: 8 * 1024 * 1024,
  wsPingIntervalMs: 15_000,
  closeGraceMs: 5_000,
});

/** Limits from CAIRN_HTTP_* environment variables (tests make them small), else the defaults. */
export function httpLimitsFromEnvironment(environment: NodeJS.ProcessEnv = process.env): HttpLimits {
  const read = (name: string, fallback: number): number => {
    const text = environment[name];
    if (text === undefined || text === '') return fallback;
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, not ${JSON.stringify(text)}`);
    return value;
  };
  const defaults = DEFAULT_HTTP_LIMITS;
  return {
    maxHttpSessions: read('CAIRN_HTTP_MAX_SESSIONS', defaults.maxHttpSessions),
    historyEvents: read('CAIRN_HTTP_HISTORY_EVENTS', defaults.historyEvents),
    sseMaxBufferedBytes: read('CAIRN_HTTP_SSE_MAX_BUFFERED_BYTES', defaults.sseMaxBufferedBytes),
    sseHeartbeatMs: read('CAIRN_HTTP_SSE_HEARTBEAT_MS', defaults.sseHeartbeatMs),
    wsHighWaterBytes: read('CAIRN_HTTP_WS_HIGH_WATER_BYTES', defaults.wsHighWaterBytes),
    wsMaxQueuedMessages: read('CAIRN_HTTP_WS_MAX_QUEUED_MESSAGES', defaults.wsMaxQueuedMessages),
    wsMaxQueuedBytes: read('CAIRN_HTTP_WS_MAX_QUEUED_BYTES', defaults.wsMaxQueuedBytes),
    wsPingIntervalMs: read('CAIRN_HTTP_WS_PING_INTERVAL_MS', defaults.wsPingIntervalMs),
    closeGraceMs: read('CAIRN_HTTP_CLOSE_GRACE_MS', defaults.closeGraceMs),
  };
}

export interface HttpServerOptions {
  /** The facade HTTP and WebSocket requests go through (metered by the caller). */
  facade: ServerFacade;
  admin: AdminSource;
  meter: RequestMeter;
  config: ServerConfig;
  logger: Logger;
  version: string;
  limits?: HttpLimits;
  /** Readiness: the zxid once the server serves. */
  /** Null while the server cannot serve (an ensemble member without a leader): /readyz answers 503. */
  ready: () => { status: 'ok'; zxid: string } | null;
  /** Serve HTTPS and WSS with this material (followed as its files change); plaintext is refused. */
  tls?: TlsContext;
}

export interface HttpServerHandle {
  app: FastifyInstance;
  port: number;
  close(): Promise<void>;
}

/** A multi may carry many ops: its JSON body may be larger than one znode's data. */
const TXN_BODY_FACTOR = 16;

type Handler = (context: HttpContext, http: FastifyRequest, reply: FastifyReply, body: never) => Promise<FastifyReply> | FastifyReply;

export async function startHttpServer(options: HttpServerOptions): Promise<HttpServerHandle> {
  const limits = options.limits ?? DEFAULT_HTTP_LIMITS;
  const openapi = loadOpenApi();
  const app = Fastify({
    // With TLS configured the port speaks HTTPS (and WSS) only: a plaintext request fails its handshake.
    ...(options.tls === undefined ? {} : { https: options.tls.serverOptions() }),
    logger: false,
    exposeHeadRoutes: false,
    bodyLimit: options.config.juteMaxBuffer,
    // Unknown query parameters are refused rather than silently dropped ("verison=3").
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  });

  const sessions = new HttpSessions(options.facade, limits.maxHttpSessions);
  const context: HttpContext = { facade: options.facade, sessions, maxDataBytes: options.config.juteMaxBuffer };
  // Every change, whoever may read it: each resume is filtered by its subscriber's identities.
  const history = new WatchHistory(limits.historyEvents, options.facade.lastZxid());
  options.facade.watchAllChanges((event, readers) => history.record(event, readers));
  const sse = new SseStreams(
    options.facade,
    history,
    { maxBufferedBytes: limits.sseMaxBufferedBytes, heartbeatIntervalMs: limits.sseHeartbeatMs, closeGraceMs: limits.closeGraceMs },
    options.logger,
    options.config.superDigest,
  );
  const webSockets = new WebSocketChannels(
    options.facade,
    { ...DEFAULT_SESSION_STREAM_SETTINGS, outbound: { maxQueuedMessages: limits.wsMaxQueuedMessages, maxQueuedBytes: limits.wsMaxQueuedBytes } },
    {
      highWaterBytes: limits.wsHighWaterBytes,
      maxQueuedMessages: limits.wsMaxQueuedMessages,
      maxQueuedBytes: limits.wsMaxQueuedBytes,
      pingIntervalMs: limits.wsPingIntervalMs,
      closeGraceMs: limits.closeGraceMs,
      maxPayloadBytes: options.config.juteMaxBuffer * TXN_BODY_FACTOR,
    },
    options.logger,
  );
  const transports = (): TransportCounts => ({ sseStreams: sse.open, webSockets: webSockets.open, httpSessions: sessions.size });
  const policy = commandPolicy(options.config);
  const rootAcl = async (identities: AuthId[]): Promise<ACL[]> => {
    const { response } = await options.facade.submitStateless({ op: 'getACL', path: '/' }, identities);
    if (response.op !== 'getACL') throw keeperError('SystemError', '/', 'unexpected response');
    return response.acl;
  };
  const admin: AdminContext = { source: options.admin, config: options.config, version: options.version, transports, policy, rootAcl };
  const origins = new OriginPolicy(options.config.httpAllowedOrigins);

  // Every request: CORS headers for an allowed origin, and a 403 for a page of a foreign origin
  // before anything runs (origins.ts says what is refused and why).
  app.addHook('onRequest', async (request, reply) => {
    const verdict = origins.judge(request.headers);
    addCorsHeaders(reply.raw, verdict);
    const refusal = origins.refusal(request.method, request.headers, verdict);
    if (refusal !== null) throw refusal;
  });
  // Preflights, for every path: an allowed origin (a refused one was stopped above) learns what it
  // may send; a request without an Origin is told which methods exist.
  app.route({
    method: 'OPTIONS',
    url: '/*',
    handler: (request, reply) => {
      if (request.headers.origin === undefined) return reply.code(204).header('Allow', CORS_ALLOWED_METHODS).send();
      return reply.code(204).headers(preflightHeaders()).send();
    },
  });

  // Bodies are bytes until a handler says otherwise: znode data is raw whatever its media type,
  // and JSON bodies are parsed and checked against openapi.yaml below.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.setErrorHandler((error, request, reply) => {
    const problem = problemOf(error);
    if (problem.status >= 500) options.logger.error({ err: error, url: request.url }, 'HTTP request failed');
    reply.header('Cairn-Zxid', String(options.facade.lastZxid()));
    return reply.code(problem.status).type(PROBLEM_MEDIA_TYPE).send(`${JSON.stringify(problem)}\n`);
  });
  app.setNotFoundHandler((request, reply) => {
    const problem = problemOf(new HttpOnlyProblem(404, 'no-route', 'No such resource', `${request.method} ${request.url.split('?')[0]} is not part of this API; see /openapi.yaml`));
    return reply.code(404).type(PROBLEM_MEDIA_TYPE).send(`${JSON.stringify(problem)}\n`);
  });

  const handlers: Record<string, Handler | null> = {
    getZnode,
    headZnode,
    createZnode,
    setZnode,
    deleteZnode,
    getAcl,
    setAcl,
    multi,
    sync,
    whoAmI,
    createSession,
    closeSession,
    keepAlive,
    watch: (_context, http, reply) => {
      sse.handle(http, reply);
      return reply;
    },
    webSocket: () => {
      throw new HttpOnlyProblem(426, 'upgrade-required', 'Upgrade Required', 'GET /v1/ws must be a WebSocket upgrade (Upgrade: websocket)');
    },
    listCommands: (_context, _http, reply) => sendJson(reply, 200, listCommands(policy)),
    runCommand: async (_context, http, reply) => sendJson(reply, 200, await challenging(reply, runCommand(admin, http, (http.params as { command: string }).command))),
    metrics: async (_context, http, reply) => {
      await challenging(reply, admitCommand(admin, http, 'metrics', METRICS_WORD));
      return reply
        .code(200)
        .type(METRICS_CONTENT_TYPE)
        .send(renderMetrics({ source: options.admin, meter: options.meter, transports, slowClientsCut: () => ({ sse: sse.cutCount, websocket: webSockets.cutCount }), historySize: () => history.size }));
    },
    readyz: (_context, _http, reply) => {
      const ready = options.ready();
      if (ready === null) throw keeperError('ConnectionLoss', undefined, 'this server is not serving: it has no leader now');
      return sendJson(reply, 200, ready);
    },
    healthz: (_context, _http, reply) => sendJson(reply, 200, { status: 'ok' }),
    openapi: (_context, _http, reply) => reply.code(200).type('application/yaml; charset=utf-8').send(openapi.text),
    // Served by @fastify/swagger-ui below.
    docs: null,
    // Answered by the OPTIONS route above, for every path.
    preflightZnode: null,
    preflightAcl: null,
    preflightTxn: null,
    preflightSync: null,
    preflightWhoAmI: null,
    preflightSessions: null,
  };

  for (const operation of openapi.operations) {
    const handler = handlers[operation.operationId];
    assert(handler !== undefined, `openapi.yaml operation ${operation.operationId} has a handler`);
    if (handler === null) continue;
    registerOperation(app, operation, handler, context, openapi.compile.bind(openapi), options.config.juteMaxBuffer);
  }
  const documented = new Set(openapi.operations.map((operation) => operation.operationId));
  for (const operationId of Object.keys(handlers)) assert(documented.has(operationId), `handler ${operationId} is documented in openapi.yaml`);

  await app.register(fastifySwagger, { mode: 'static', specification: { document: openapi.document as never } });
  // openapi.yaml's server is relative ("/"), so the page calls whichever host and port served it;
  // the policy lets it (connect-src 'self') and does not upgrade its plain-HTTP requests to HTTPS.
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', uiConfig: { validatorUrl: null }, staticCSP: true, transformStaticCSP: docsContentSecurityPolicy });

  app.server.on('upgrade', (request, socket, head) => webSockets.onUpgrade(request, socket, head, origins.refusal('GET', request.headers)));
  app.addHook('preClose', (done) => {
    sse.close();
    webSockets.close();
    sessions.detachAll();
    done();
  });

  if (options.tls !== undefined) {
    const tls = options.tls;
    const server = app.server as unknown as TlsServer;
    const detach = tls.attach(server);
    app.addHook('onClose', (_instance, done) => {
      detach();
      done();
    });
    server.on('secureConnection', (socket: TLSSocket) => {
      const refusal = clientCertificateRefusal(socket, tls.settings.clientAuth);
      if (refusal === null) {
        rememberCertificate(socket, tls.settings);
        return;
      }
      options.logger.warn({ client: socket.remoteAddress, reason: refusal }, 'refusing a TLS client on the HTTP port');
      socket.destroy();
    });
    server.on('tlsClientError', (error, socket) => {
      options.logger.debug({ client: socket.remoteAddress, reason: error.message }, 'TLS handshake failed on the HTTP port');
    });
  }

  await app.listen({ host: options.config.clientPortAddress, port: options.config.httpPort });
  const address = app.server.address();
  assert(address !== null && typeof address !== 'string', 'the HTTP server has a TCP address');
  return { app, port: address.port, close: () => app.close() };
}

function registerOperation(
  app: FastifyInstance,
  operation: Operation,
  handler: Handler,
  context: HttpContext,
  compile: ReturnType<typeof loadOpenApi>['compile'],
  maxDataBytes: number,
): void {
  const jsonSchema = operation.requestBody?.['application/json'];
  const validateBody = jsonSchema === undefined ? undefined : compile(jsonSchema);
  const headers = headerSchema(operation);
  app.route({
    method: operation.method.toUpperCase() as 'GET',
    url: fastifyUrl(operation.path),
    bodyLimit: operation.operationId === 'multi' ? maxDataBytes * TXN_BODY_FACTOR : maxDataBytes,
    schema: { querystring: querySchema(operation), ...(headers === undefined ? {} : { headers }) },
    handler: async (request, reply) => {
      let body: unknown = request.body;
      if (validateBody !== undefined) {
        body = parseJsonBody(request.body);
        if (!validateBody(body)) {
          const details = (validateBody.errors ?? []).map((error) => `${error.instancePath || 'body'} ${error.message ?? 'is invalid'}`).join('; ');
          throw keeperError('BadArguments', undefined, `the body does not match the schema: ${details}`);
        }
      }
      return handler(context, request, reply, body as never);
    },
  });
}

/** An admin command that needs credentials asks for them as HTTP does (a 401 with a Basic challenge). */
async function challenging<T>(reply: FastifyReply, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (isKeeperError(error) && error.codeName === 'AuthFailed') reply.header('WWW-Authenticate', 'Basic realm="cairn admin", charset="UTF-8"');
    throw error;
  }
}

/** @fastify/swagger-ui's policy for /docs, with fetches to this origin and without upgrade-insecure-requests. */
export function docsContentSecurityPolicy(header: string): string {
  const directives = header
    .split(';')
    .map((directive) => directive.trim())
    .filter((directive) => directive !== '' && directive !== 'upgrade-insecure-requests' && !directive.startsWith('connect-src'));
  return `${[...directives, "connect-src 'self'"].join('; ')};`;
}

function parseJsonBody(raw: unknown): unknown {
  if (!Buffer.isBuffer(raw) || raw.length === 0) return {};
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw keeperError('MarshallingError', undefined, `the body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}
