// The gRPC facade: serves cairn.v1.Cairn (proto/cairn.proto) over a ServerFacade, plus
// grpc.health.v1.Health and server reflection.

import { isIP } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';
import type { Logger } from 'pino';
import { ipIdentity, type AuthId } from '../../core/acl.js';
import { isKeeperError, keeperError, multiFailure, type KeeperError } from '../../core/errors.js';
import { isEphemeral, type Request, type WatchEvent } from '../../core/types.js';
import type { ServerFacade, Unsubscribe } from '../../server/facade.js';
import { requestFromProto, unaryResponseToProto, validate, watchEventToProto, type ProtoRequestOf, type ProtoResponseOf } from './convert.js';
import { encodeRichStatus, MULTI_RESPONSE_TYPE_URL, STATUS_DETAILS_KEY, toGrpcStatus, ZK_ZXID_KEY } from './errors.js';
import type { CairnHandlers } from './generated/cairn/v1/Cairn.js';
import type { WatchEvent as ProtoWatchEvent } from './generated/cairn/v1/WatchEvent.js';
import type { WatchRequest__Output } from './generated/cairn/v1/WatchRequest.js';
import { loadCairnProto, loadReflectionDefinition, SERVICE_NAME } from './loader.js';
import { DEFAULT_OUTBOUND_LIMITS, OutboundQueue } from './outbound.js';
import { SessionStream, type SessionCall, type SessionStreamSettings } from './session-stream.js';
import { isUndecodable, undecodableError, withTolerantDecoding } from './undecodable.js';
import { callerCertificateIdentities, grpcServerCredentials } from './tls.js';
import { basicCredentials } from '../credentials.js';
import type { TlsContext } from '../../server/tls.js';

/** ZooKeeper's default jute.maxbuffer (0xfffff) plus room for the envelope around the data. */
export const DEFAULT_MAX_MESSAGE_BYTES = 0xfffff + 64 * 1024;

export const DEFAULT_SESSION_STREAM_SETTINGS: SessionStreamSettings = Object.freeze({
  connectTimeoutMs: 10_000,
  maxInFlight: 1_000,
  finishGraceMs: 10_000,
  outbound: DEFAULT_OUTBOUND_LIMITS,
});

// Idle session streams must outlive proxies and NATs that drop quiet connections: ping every
// 30 s even without calls, and let clients ping as often as every 10 s (grpc-js does not
// police client pings, but the option documents the contract for other implementations).
const KEEPALIVE_OPTIONS = {
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.http2.min_ping_interval_without_data_ms': 10_000,
} as const;

const SHUTDOWN_GRACE_MS = 5_000;

export interface GrpcServerOptions {
  facade: ServerFacade;
  /** Address to listen on; '0.0.0.0', '::', 'localhost', ... */
  host: string;
  /** 0 picks a free port. */
  port: number;
  logger: Logger;
  /** The largest message accepted from a client: jute.maxbuffer plus headroom. */
  maxMessageBytes?: number;
  /** Insecure unless given. */
  credentials?: grpc.ServerCredentials;
  /** Serve TLS (h2) with this material; plaintext is then refused. Ignored when credentials are given. */
  tls?: TlsContext;
  /** Overrides for the session stream limits and timers. */
  sessionStream?: Partial<SessionStreamSettings>;
}

export interface GrpcServerHandle {
  /** The port bound (useful with port 0). */
  port: number;
  server: grpc.Server;
  /** Report NOT_SERVING, end every stream (sessions stay, detached), and stop. */
  close(): Promise<void>;
}

/** Something long-lived the server must end when it closes. */
interface ActiveStream {
  shutdown(): void;
}

interface Context {
  facade: ServerFacade;
  /** The certificate DN that is the super user (X509AuthenticationProvider.superUser), with TLS. */
  superUser: string | undefined;
  logger: Logger;
  settings: SessionStreamSettings;
  active: Set<ActiveStream>;
}

export async function startGrpcServer(options: GrpcServerOptions): Promise<GrpcServerHandle> {
  const { grpcObject } = loadCairnProto();
  const server = new grpc.Server({
    ...KEEPALIVE_OPTIONS,
    'grpc.max_receive_message_length': options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
  });
  const context: Context = {
    facade: options.facade,
    superUser: options.tls?.settings.superUser,
    logger: options.logger,
    settings: { ...DEFAULT_SESSION_STREAM_SETTINGS, ...options.sessionStream },
    active: new Set(),
  };
  server.addService(withTolerantDecoding(grpcObject.cairn.v1.Cairn.service), cairnHandlers(context));

  const health = new HealthImplementation({ '': 'SERVING', [SERVICE_NAME]: 'SERVING' });
  health.addToServer(server);
  new ReflectionService(loadReflectionDefinition()).addToServer(server);

  const credentials = options.credentials ?? (options.tls === undefined ? grpc.ServerCredentials.createInsecure() : grpcServerCredentials(options.tls));
  const port = await bind(server, options.host, options.port, credentials);
  options.logger.debug({ host: options.host, port }, 'grpc listening');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= shutdown(server, health, context);
    return closing;
  };
  return { port, server, close };
}

function bind(server: grpc.Server, host: string, port: number, credentials: grpc.ServerCredentials): Promise<number> {
  // An IPv6 literal needs brackets before the port.
  const address = isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (error, boundPort) => (error === null ? resolve(boundPort) : reject(error)));
  });
}

async function shutdown(server: grpc.Server, health: HealthImplementation, context: Context): Promise<void> {
  health.setStatus('', 'NOT_SERVING');
  health.setStatus(SERVICE_NAME, 'NOT_SERVING');
  for (const stream of [...context.active]) stream.shutdown();
  await new Promise<void>((resolve) => {
    // Streams of clients that stopped reading (and health watchers) would hold tryShutdown forever.
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, SHUTDOWN_GRACE_MS);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Handlers

function cairnHandlers(context: Context): CairnHandlers {
  return {
    Session: (call) => handleSession(call, context),
    Get: unaryHandler('getData', context),
    Children: unaryHandler('getChildren', context),
    Exists: unaryHandler('exists', context),
    Create: unaryHandler('create', context),
    Set: unaryHandler('setData', context),
    Delete: unaryHandler('delete', context),
    Multi: unaryHandler('multi', context),
    Sync: unaryHandler('sync', context),
    GetACL: unaryHandler('getAcl', context),
    SetACL: unaryHandler('setAcl', context),
    Watch: (call) => handleWatch(call, context),
  };
}

/** A streaming call's identities, or null once the call was failed for malformed credentials. */
function streamIdentities(call: Parameters<typeof callIdentities>[0] & { emit(event: 'error', error: unknown): boolean }, context: Context): AuthId[] | null {
  try {
    return callIdentities(call, context.superUser);
  } catch (error) {
    call.emit('error', toGrpcStatus(error));
    return null;
  }
}

function handleSession(call: SessionCall, context: Context): void {
  const identities = streamIdentities(call, context);
  if (identities === null) return;
  const stream = new SessionStream(call, context.facade, context.settings, context.logger, identities, (done) =>
    context.active.delete(done),
  );
  context.active.add(stream);
  stream.start();
}

type UnaryField = 'getData' | 'getChildren' | 'exists' | 'create' | 'setData' | 'delete' | 'multi' | 'sync' | 'getAcl' | 'setAcl';

function unaryHandler<F extends UnaryField>(field: F, context: Context): grpc.handleUnaryCall<ProtoRequestOf<F>, ProtoResponseOf<F>> {
  return (call, callback) => {
    let request: Request;
    try {
      if (isUndecodable(call.request)) throw undecodableError(call.request, 'the request');
      request = requestFromProto(field, call.request);
      requireStateless(request);
    } catch (error) {
      callback(toGrpcStatus(error, zxidMetadata(context.facade)));
      return;
    }
    Promise.resolve()
      .then(() => context.facade.submitStateless(request, callIdentities(call, context.superUser)))
      .then(({ response, zxid }) => {
        const trailer = new grpc.Metadata();
        trailer.set(ZK_ZXID_KEY, String(zxid));
        const message = unaryResponseToProto(field, response);
        const failure = response.op === 'multi' && request.op === 'multi' ? multiFailure(response.results, request.ops.map((op) => op.path)) : undefined;
        if (failure === undefined) callback(null, message, trailer);
        else callback(failedMultiStatus(failure, message as ProtoResponseOf<'multi'>, trailer));
      })
      .catch((error: unknown) => {
        if (!isKeeperError(error)) context.logger.error({ err: error, method: field }, 'a unary call failed unexpectedly');
        callback(toGrpcStatus(error, zxidMetadata(context.facade)));
      });
  };
}

/**
 * A multi that failed ends with the failing op's status, as every other call does, and keeps
 * ZooKeeper's per-op results in the rich error model's details (see proto/cairn.proto).
 */
function failedMultiStatus(failure: KeeperError, results: ProtoResponseOf<'multi'>, trailer: grpc.Metadata): ReturnType<typeof toGrpcStatus> {
  const status = toGrpcStatus(failure, trailer);
  const value = loadCairnProto().grpcObject.cairn.v1.Cairn.service.Multi.responseSerialize(results);
  status.metadata.set(STATUS_DETAILS_KEY, encodeRichStatus({ code: status.code, message: status.details, details: [{ typeUrl: MULTI_RESPONSE_TYPE_URL, value }] }));
  return status;
}

function zxidMetadata(facade: ServerFacade): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set(ZK_ZXID_KEY, String(facade.lastZxid()));
  return metadata;
}

/** Watches and ephemerals belong to a session; the unary calls have none. */
function requireStateless(request: Request): void {
  switch (request.op) {
    case 'getData':
    case 'exists':
    case 'getChildren':
      if (request.watch) throw keeperError('BadArguments', request.path, 'watches need a session: use the Session stream, or Watch');
      return;
    case 'create':
      if (isEphemeral(request.mode)) throw keeperError('BadArguments', request.path, 'ephemeral nodes need a session: use the Session stream');
      return;
    case 'multi':
      for (const op of request.ops) requireStateless(op);
      return;
    default:
      return;
  }
}

function handleWatch(call: grpc.ServerWritableStream<WatchRequest__Output, ProtoWatchEvent>, context: Context): void {
  let path: string;
  let recursive: boolean;
  try {
    if (isUndecodable(call.request)) throw undecodableError(call.request, 'the WatchRequest');
    const message = validate.object(call.request, 'watch');
    path = validate.string(message.path, 'watch.path');
    recursive = validate.boolean(message.recursive, 'watch.recursive');
  } catch (error) {
    call.emit('error', toGrpcStatus(error));
    return;
  }
  const identities = streamIdentities(call, context);
  if (identities === null) return;
  new WatchStream(call, context).start(path, recursive, identities);
}

/** One stateless Watch call: a persistent watch whose events stream until cancelled. */
class WatchStream implements ActiveStream {
  private unsubscribe: Unsubscribe | undefined;
  private done = false;
  private readonly outbound: OutboundQueue<ProtoWatchEvent>;

  constructor(
    private readonly call: grpc.ServerWritableStream<WatchRequest__Output, ProtoWatchEvent>,
    private readonly context: Context,
  ) {
    this.outbound = new OutboundQueue(call, context.settings.outbound, () => {
      context.logger.warn({ peer: call.getPeer() }, 'watch stream cut: the client is not reading');
      this.fail({ code: grpc.status.RESOURCE_EXHAUSTED, details: 'the client is not reading its Watch stream', metadata: new grpc.Metadata() });
    });
  }

  start(path: string, recursive: boolean, identities: AuthId[]): void {
    this.call.on('cancelled', () => this.stop());
    this.call.on('error', () => this.stop());
    try {
      this.unsubscribe = this.context.facade.watchStateless(path, recursive, identities, (event) => this.onEvent(event));
    } catch (error) {
      this.fail(toGrpcStatus(error));
      return;
    }
    if (this.call.cancelled) {
      this.stop();
      return;
    }
    this.context.active.add(this);
    // Headers now, so the client knows the watch is in place; events follow this zxid.
    this.call.sendMetadata(zxidMetadata(this.context.facade));
  }

  shutdown(): void {
    this.fail(toGrpcStatus(keeperError('ConnectionLoss', undefined, 'the server is shutting down')));
  }

  private onEvent(event: WatchEvent): void {
    if (!this.done) this.outbound.send(watchEventToProto(event));
  }

  private fail(status: ReturnType<typeof toGrpcStatus>): void {
    if (this.done) return;
    this.stop();
    this.call.emit('error', status);
  }

  private stop(): void {
    if (this.done) return;
    this.done = true;
    this.outbound.discard();
    this.unsubscribe?.();
    this.context.active.delete(this);
  }
}

// ---------------------------------------------------------------------------------------------
// Transport identity

/**
 * The client's IP address from grpc-js's peer string ("1.2.3.4:5678", "::1:5678" — IPv6
 * without brackets — or "unknown"), with IPv4-mapped IPv6 addresses unwrapped so that ip ACLs
 * written for IPv4 match.
 */
export function peerAddress(peer: string): string | undefined {
  let host: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(peer);
  if (bracketed !== null) host = bracketed[1];
  else {
    const withPort = /^(.*):(\d+)$/.exec(peer);
    if (withPort !== null && isIP(withPort[1] as string) !== 0) host = withPort[1];
    else if (isIP(peer) !== 0) host = peer;
  }
  if (host === undefined || isIP(host) === 0) return undefined;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host);
  return mapped !== null ? mapped[1] : host;
}

/** The identities a connection brings: `ip:<address>`, or none for a non-IP transport. */
/**
 * Who a call is: its address, the x509 identity of a verified client certificate, and the digest
 * identity of `authorization: Basic base64(user:password)` metadata (as on the HTTP port; grpcurl
 * -H). Malformed credentials fail the call with AuthFailed (UNAUTHENTICATED).
 */
function callIdentities(
  call: {
    getPeer(): string;
    metadata: grpc.Metadata;
    getAuthContext?: () => { sslPeerCertificate?: import('node:tls').PeerCertificate };
  },
  superUser: string | undefined,
): AuthId[] {
  const identities = [...transportIdsOf(call.getPeer()), ...callerCertificateIdentities(call, superUser)];
  const authorization = call.metadata.get('authorization');
  if (authorization.length > 1) throw keeperError('AuthFailed', undefined, 'one authorization metadata entry at most');
  const credentials = basicCredentials(authorization.length === 0 ? undefined : String(authorization[0]));
  if (credentials !== undefined) identities.push(credentials.id);
  return identities;
}

export function transportIdsOf(peer: string): AuthId[] {
  const address = peerAddress(peer);
  return address === undefined ? [] : [ipIdentity(address)];
}
