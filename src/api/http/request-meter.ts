// Counts and times every request a facade submits, by op, transport and outcome, for /metrics.
// It decorates a ServerFacade, so each transport (gRPC, HTTP, WebSocket, ZooKeeper's wire
// protocol) is measured the same way by wrapping the facade it is given.

import { isKeeperError } from '../../core/errors.js';
import type { Request } from '../../core/types.js';
import type { ConnectOptions, ServerFacade, SessionHandle, SessionSink } from '../../server/facade.js';

/** Upper bounds of the latency buckets, in seconds. */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = Object.freeze([0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]);

export class Histogram {
  readonly counts = new Array<number>(LATENCY_BUCKETS_SECONDS.length).fill(0);
  count = 0;
  sum = 0;

  observe(seconds: number): void {
    this.count++;
    this.sum += seconds;
    const index = LATENCY_BUCKETS_SECONDS.findIndex((bound) => seconds <= bound);
    if (index >= 0) this.counts[index]!++;
  }
}

/** Key: transport, op, outcome (ok or the ZooKeeper error name). */
export class RequestMeter {
  readonly totals = new Map<string, { transport: string; op: string; outcome: string; count: number }>();
  readonly latencies = new Map<string, { transport: string; op: string; histogram: Histogram }>();

  record(transport: string, op: string, outcome: string, seconds: number): void {
    const totalKey = `${transport}\u0000${op}\u0000${outcome}`;
    let total = this.totals.get(totalKey);
    if (total === undefined) this.totals.set(totalKey, (total = { transport, op, outcome, count: 0 }));
    total.count++;
    const latencyKey = `${transport}\u0000${op}`;
    let latency = this.latencies.get(latencyKey);
    if (latency === undefined) this.latencies.set(latencyKey, (latency = { transport, op, histogram: new Histogram() }));
    latency.histogram.observe(seconds);
  }

  /** The facade a transport should use so that its requests are measured. */
  wrap(facade: ServerFacade, transport: string): ServerFacade {
    const meter = this;
    const timed = <T>(op: string, run: () => Promise<T>): Promise<T> => {
      const started = process.hrtime.bigint();
      const finish = (outcome: string) => meter.record(transport, op, outcome, Number(process.hrtime.bigint() - started) / 1e9);
      let promise: Promise<T>;
      try {
        promise = run();
      } catch (error) {
        finish(outcomeOf(error));
        throw error;
      }
      promise.then(
        () => finish('ok'),
        (error: unknown) => finish(outcomeOf(error)),
      );
      return promise;
    };
    return {
      connect: async (options: ConnectOptions, sink: SessionSink): Promise<SessionHandle> => {
        const handle = await timed(options.sessionId ? 'resumeSession' : 'createSession', () => facade.connect(options, sink));
        return {
          get sessionId() {
            return handle.sessionId;
          },
          get password() {
            return handle.password;
          },
          get timeoutMs() {
            return handle.timeoutMs;
          },
          submit: (request: Request, onAnswer?: Parameters<SessionHandle['submit']>[1]) => timed(request.op, () => handle.submit(request, onAnswer)),
          ping: () => handle.ping(),
          close: () => timed('closeSession', () => handle.close()),
          detach: () => handle.detach(),
        };
      },
      submitStateless: (request, identities) => timed(request.op, () => facade.submitStateless(request, identities)),
      watchStateless: (path, recursive, identities, onEvent) => facade.watchStateless(path, recursive, identities, onEvent),
      watchAllChanges: (onEvent) => facade.watchAllChanges(onEvent),
      lastZxid: () => facade.lastZxid(),
    };
  }
}

function outcomeOf(error: unknown): string {
  return isKeeperError(error) ? error.codeName : 'SystemError';
}
