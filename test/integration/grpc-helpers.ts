// Shared pieces of the gRPC integration tests: error expectations, event logs, raw gRPC calls
// (to see statuses and trailers as a non-Cairn client would), and a raw Session stream that
// records every server message in arrival order.

import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { expect } from 'vitest';
import { makeGrpcClient, type GrpcCairnClient } from '../../src/client/channel.js';
import { CairnClient, type SessionOptions } from '../../src/client/session.js';
import type { ClientMessage } from '../../src/api/grpc/generated/cairn/v1/ClientMessage.js';
import type { Request as ProtoRequest } from '../../src/api/grpc/generated/cairn/v1/Request.js';
import type { Response__Output as ProtoResponse } from '../../src/api/grpc/generated/cairn/v1/Response.js';
import type { ServerMessage__Output } from '../../src/api/grpc/generated/cairn/v1/ServerMessage.js';
import { isKeeperError, type KeeperError } from '../../src/core/errors.js';
import type { WatchEvent } from '../../src/core/types.js';
import { waitFor } from './harness.js';

/** A fresh path under the root, unique within and across test runs. */
export function uniquePath(name: string): string {
  return `/${name}-${randomBytes(4).toString('hex')}`;
}

/** Opens a session with a comfortable timeout unless told otherwise. */
export function connect(address: string, options: Partial<SessionOptions> = {}): Promise<CairnClient> {
  return CairnClient.connect(address, { timeoutMs: 10_000, connectTimeoutMs: 15_000, ...options });
}

/** Awaits a rejection with a KeeperError of the given code and returns it. */
export async function expectKeeperError(promise: Promise<unknown>, code: number): Promise<KeeperError> {
  let outcome: unknown;
  try {
    outcome = await promise;
  } catch (error) {
    if (!isKeeperError(error)) throw new Error(`expected KeeperError ${code}, got ${String(error)}`);
    expect({ code: error.code, message: error.message }).toMatchObject({ code });
    return error;
  }
  throw new Error(`expected KeeperError ${code}, but the call succeeded with ${JSON.stringify(outcome)}`);
}

/** Every watch event a session receives, in arrival order, with bounded waits. */
export class EventLog {
  readonly events: WatchEvent[] = [];

  constructor(client: CairnClient) {
    client.on('event', (event) => this.events.push(event));
  }

  /** Events of one path, in order. */
  of(path: string): WatchEvent[] {
    return this.events.filter((event) => event.path === path);
  }

  /** Waits for an event matching `match` (among all so far, from `from` on) and returns it. */
  async waitFor(match: (event: WatchEvent) => boolean, what: string, timeoutMs = 15_000, from = 0): Promise<WatchEvent> {
    let found: WatchEvent | undefined;
    await waitFor(
      () => {
        found = this.events.slice(from).find(match);
        return found !== undefined;
      },
      timeoutMs,
      what,
    );
    return found as WatchEvent;
  }
}

// ---------------------------------------------------------------------------------------------
// Raw unary calls

export interface UnaryOutcome {
  error: grpc.ServiceError | null;
  value: unknown;
  /** Trailing metadata (from the error on failure, from the status on success). */
  trailers: grpc.Metadata;
}

type UntypedUnary = (argument: unknown, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null, value?: unknown) => void) => grpc.ClientUnaryCall;

/** Calls a unary method with a plain proto-shaped argument and reports status and trailers. */
export function rawUnary(client: GrpcCairnClient, method: string, argument: unknown, timeoutMs = 15_000): Promise<UnaryOutcome> {
  const unary = (client as unknown as Record<string, UntypedUnary>)[method]!.bind(client);
  return new Promise((resolve) => {
    let trailers: grpc.Metadata | undefined;
    let settled: { error: grpc.ServiceError | null; value: unknown } | undefined;
    const finish = () => {
      if (settled !== undefined && trailers !== undefined) resolve({ ...settled, trailers });
    };
    const call = unary(argument, { deadline: Date.now() + timeoutMs }, (error, value) => {
      settled = { error, value };
      if (error !== null) trailers ??= error.metadata;
      finish();
    });
    call.on('status', (status: grpc.StatusObject) => {
      trailers ??= status.metadata;
      finish();
    });
  });
}

export function rawClient(address: string): GrpcCairnClient {
  return makeGrpcClient(address, {});
}

/** Asserts a failed raw unary call: gRPC status and the zk-* trailers. */
export function expectStatus(outcome: UnaryOutcome, status: grpc.status, zkCode: number, zkName: string): void {
  expect(outcome.error, 'the call should fail').not.toBeNull();
  expect({
    code: outcome.error!.code,
    zkCode: outcome.trailers.get('zk-code')[0],
    zkName: outcome.trailers.get('zk-name')[0],
  }).toEqual({ code: status, zkCode: String(zkCode), zkName });
}

// ---------------------------------------------------------------------------------------------
// A raw Session stream: every server message in arrival order

export class RawSession {
  readonly messages: ServerMessage__Output[] = [];
  readonly call: grpc.ClientDuplexStream<ClientMessage, ServerMessage__Output>;
  status: grpc.StatusObject | undefined;
  ended = false;
  sessionId = 0;
  private nextXid = 1;
  private readonly client: GrpcCairnClient;

  constructor(address: string) {
    this.client = makeGrpcClient(address, {});
    this.call = this.client.Session();
    this.call.on('data', (message: ServerMessage__Output) => {
      this.messages.push(message);
      this.wake();
    });
    this.call.on('status', (status: grpc.StatusObject) => {
      this.status = status;
      this.wake();
    });
    this.call.on('error', () => undefined);
    this.call.on('end', () => {
      this.ended = true;
      this.wake();
    });
  }

  private waiters: (() => void)[] = [];

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  /** Waits (event-driven, bounded) until `check` holds after some message or the end. */
  async until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async connect(timeoutMs = 10_000): Promise<void> {
    this.call.write({ connect: { sessionId: 0, password: new Uint8Array(0), timeoutMs, lastZxidSeen: 0 } });
    await this.until(() => this.messages.some((message) => message.kind === 'connected') || this.ended, 15_000, 'connected');
    const connected = this.messages.find((message) => message.kind === 'connected');
    if (connected === undefined) throw new Error(`no connected message: ${JSON.stringify(this.status)}`);
    this.sessionId = connected.connected!.sessionId;
  }

  /** Sends one request (the op oneof as proto) and returns its xid. */
  send(op: Omit<ProtoRequest, 'xid'>): number {
    const xid = this.nextXid++;
    this.call.write({ request: { xid, ...op } });
    return xid;
  }

  write(message: ClientMessage): void {
    this.call.write(message);
  }

  /** Index of the response to `xid` in `messages`, or -1. */
  indexOfResponse(xid: number): number {
    for (let index = this.messages.length - 1; index >= 0; index--) {
      const message = this.messages[index]!;
      if (message.kind === 'response' && message.response!.xid === xid) return index;
    }
    return -1;
  }

  async response(xid: number, timeoutMs = 15_000): Promise<{ index: number; response: ProtoResponse }> {
    await this.until(() => this.indexOfResponse(xid) >= 0 || this.ended, timeoutMs, `response to xid ${xid}`);
    const index = this.indexOfResponse(xid);
    if (index < 0) throw new Error(`stream ended before the response to xid ${xid}: ${JSON.stringify(this.status)}`);
    return { index, response: this.messages[index]!.response! };
  }

  async waitForEnd(timeoutMs = 15_000): Promise<grpc.StatusObject> {
    await this.until(() => this.status !== undefined, timeoutMs, 'the stream status');
    return this.status!;
  }

  close(): void {
    this.call.cancel();
    this.client.close();
  }
}

/** Runs writes in the background until stopped; reports how many succeeded and any failure. */
export class BackgroundWriter {
  done = 0;
  failures: unknown[] = [];
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly client: CairnClient,
    private readonly path: string,
  ) {}

  async start(): Promise<void> {
    await this.client.create(this.path, '0');
    this.loop = (async () => {
      while (!this.stopped) {
        try {
          await this.client.setData(this.path, String(this.done + 1), this.done);
          const { data } = await this.client.getData(this.path);
          if (Buffer.from(data!).toString() !== String(this.done + 1)) throw new Error(`read back ${String(data)} after writing ${this.done + 1}`);
          this.done++;
        } catch (error) {
          this.failures.push(error);
          return;
        }
      }
    })();
  }

  /** Waits until at least `count` more writes have succeeded. */
  async progress(count = 5): Promise<void> {
    const target = this.done + count;
    await waitFor(() => this.done >= target || this.failures.length > 0, 20_000, 'background writes');
    expect(this.failures).toEqual([]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}
