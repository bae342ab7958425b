// The session-less calls: unary reads and persistent writes, and the Watch change feed.
// Failures reject with the KeeperError the server reported in its trailers.

import * as grpc from '@grpc/grpc-js';
import {
  requestToProtoMessage,
  responseFromProto,
  watchEventFromProto,
  type ProtoResponseOutputOf,
  type ResponseByField,
  type ResponseField,
} from '../api/grpc/convert.js';
import { MULTI_RESPONSE_TYPE_URL, statusDetailOf, toKeeperError, ZK_ZXID_KEY } from '../api/grpc/errors.js';
import type { WatchEvent__Output } from '../api/grpc/generated/cairn/v1/WatchEvent.js';
import { loadCairnProto } from '../api/grpc/loader.js';
import {
  CreateMode,
  type ACL,
  type CreateRequest,
  type GetChildrenResponse,
  type GetDataResponse,
  type MultiOp,
  type MultiResult,
  type Request,
  type Stat,
  type WatchEvent,
} from '../core/types.js';
import { defaultAcl, makeGrpcClient, toData, type ChannelSettings, type CreateOptions, type DataInput, type GrpcCairnClient } from './channel.js';
import { EventQueue } from './events.js';

/** The unary methods of the service, and the oneof member naming their response. */
const METHOD_FIELDS = {
  Get: 'getData',
  Children: 'getChildren',
  Exists: 'exists',
  Create: 'create',
  Set: 'setData',
  Delete: 'delete',
  Multi: 'multi',
  Sync: 'sync',
  GetACL: 'getAcl',
  SetACL: 'setAcl',
} as const satisfies Record<string, ResponseField>;
type UnaryMethod = keyof typeof METHOD_FIELDS;

type UnaryCallback = (error: grpc.ServiceError | null, value?: unknown) => void;
type UntypedUnary = (argument: unknown, options: grpc.CallOptions, callback: UnaryCallback) => grpc.ClientUnaryCall;

export interface UnaryCallOptions {
  /** Milliseconds before the call fails with OperationTimeout. */
  timeoutMs?: number;
}

/** A session-less change feed. Iterate it for events; `cancel()` ends it. */
export interface WatchSubscription extends AsyncIterable<WatchEvent> {
  /** Resolves with the server's zxid once the watch is in place (events follow it). */
  readonly ready: Promise<number>;
  cancel(): void;
}

export class CairnUnaryClient {
  private readonly grpcClient: GrpcCairnClient;
  private readonly defaultTimeoutMs: number | undefined;
  /** The highest zxid the server reported with an answer. */
  lastZxid = 0;

  /** `timeoutMs` here is the default deadline of every call. */
  constructor(address: string, settings: ChannelSettings & UnaryCallOptions = {}) {
    this.grpcClient = makeGrpcClient(address, settings);
    this.defaultTimeoutMs = settings.timeoutMs;
  }

  close(): void {
    this.grpcClient.close();
  }

  private invoke<M extends UnaryMethod>(method: M, request: Request, options: UnaryCallOptions = {}): Promise<ResponseByField[(typeof METHOD_FIELDS)[M]]> {
    const field = METHOD_FIELDS[method];
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    const callOptions: grpc.CallOptions = timeoutMs === undefined ? {} : { deadline: Date.now() + timeoutMs };
    const unary = (this.grpcClient[method] as unknown as UntypedUnary).bind(this.grpcClient);
    return new Promise((resolve, reject) => {
      const call = unary(requestToProtoMessage(request), callOptions, (error, value) => {
        if (error !== null) {
          const results = method === 'Multi' ? statusDetailOf(error.metadata, MULTI_RESPONSE_TYPE_URL) : undefined;
          if (results === undefined) {
            reject(toKeeperError(error));
            return;
          }
          value = loadCairnProto().grpcObject.cairn.v1.Cairn.service.Multi.responseDeserialize(Buffer.from(results));
        }
        try {
          resolve(responseFromProto(field, value as ProtoResponseOutputOf<typeof field>) as ResponseByField[(typeof METHOD_FIELDS)[M]]);
        } catch (conversionError) {
          reject(toKeeperError(conversionError));
        }
      });
      call.on('status', (status: grpc.StatusObject) => this.seeZxid(status.metadata));
    });
  }

  private seeZxid(metadata: grpc.Metadata): void {
    const zxid = Number(metadata.get(ZK_ZXID_KEY)[0]);
    if (Number.isSafeInteger(zxid) && zxid > this.lastZxid) this.lastZxid = zxid;
  }

  async get(path: string, options?: UnaryCallOptions): Promise<Omit<GetDataResponse, 'op'>> {
    const { data, stat } = await this.invoke('Get', { op: 'getData', path, watch: false }, options);
    return { data, stat };
  }

  async children(path: string, options?: UnaryCallOptions): Promise<Omit<GetChildrenResponse, 'op'>> {
    const { children, stat } = await this.invoke('Children', { op: 'getChildren', path, watch: false }, options);
    return { children, stat };
  }

  async exists(path: string, options?: UnaryCallOptions): Promise<Stat | null> {
    return (await this.invoke('Exists', { op: 'exists', path, watch: false }, options)).stat;
  }

  async create(path: string, data: DataInput, createOptions: CreateOptions = {}, options?: UnaryCallOptions): Promise<{ path: string; stat: Stat }> {
    const request: CreateRequest = {
      op: 'create',
      path,
      data: toData(data),
      acl: defaultAcl(createOptions.acl),
      mode: (createOptions.mode ?? CreateMode.PERSISTENT) as CreateMode,
    };
    if (createOptions.ttl !== undefined) request.ttl = createOptions.ttl;
    const { path: created, stat } = await this.invoke('Create', request, options);
    return { path: created, stat };
  }

  async set(path: string, data: DataInput, version = -1, options?: UnaryCallOptions): Promise<Stat> {
    return (await this.invoke('Set', { op: 'setData', path, data: toData(data), version }, options)).stat;
  }

  async delete(path: string, version = -1, options?: UnaryCallOptions): Promise<void> {
    await this.invoke('Delete', { op: 'delete', path, version }, options);
  }

  /** As on the session stream: a failed multi answers with its per-op results (from the failed call's details). */
  async multi(ops: MultiOp[], options?: UnaryCallOptions): Promise<MultiResult[]> {
    return (await this.invoke('Multi', { op: 'multi', ops }, options)).results;
  }

  async sync(path: string, options?: UnaryCallOptions): Promise<string> {
    return (await this.invoke('Sync', { op: 'sync', path }, options)).path;
  }

  async getACL(path: string, options?: UnaryCallOptions): Promise<{ acl: ACL[]; stat: Stat }> {
    const { acl, stat } = await this.invoke('GetACL', { op: 'getACL', path }, options);
    return { acl, stat };
  }

  async setACL(path: string, acl: ACL[], version = -1, options?: UnaryCallOptions): Promise<Stat> {
    return (await this.invoke('SetACL', { op: 'setACL', path, acl, version }, options)).stat;
  }

  /** Stream the changes of `path` (and its subtree when recursive) until cancelled. */
  watch(path: string, options: { recursive?: boolean; capacity?: number } = {}): WatchSubscription {
    const call = this.grpcClient.Watch({ path, recursive: options.recursive ?? false });
    const events = new EventQueue<WatchEvent>(options.capacity);
    let cancelled = false;
    const ready = new Promise<number>((resolve, reject) => {
      call.on('metadata', (metadata: grpc.Metadata) => {
        this.seeZxid(metadata);
        resolve(Number(metadata.get(ZK_ZXID_KEY)[0] ?? 0));
      });
      call.on('error', (error: Error) => {
        const keeper = toKeeperError(error);
        reject(keeper);
        if (cancelled) events.end();
        else events.fail(keeper);
      });
    });
    ready.catch(() => undefined); // a caller that only iterates learns of the failure there
    call.on('data', (message: WatchEvent__Output) => {
      try {
        events.push(watchEventFromProto(message));
      } catch (error) {
        events.fail(toKeeperError(error));
        call.cancel();
      }
    });
    call.on('end', () => events.end());
    return {
      ready,
      cancel: () => {
        cancelled = true;
        call.cancel();
        events.end();
      },
      [Symbol.asyncIterator]: () => events,
    };
  }
}

