// GET /metrics: Prometheus text exposition format 0.0.4, written by hand (a few dozen lines do
// not need a client library).

import type { AdminSource, TransportCounts } from './admin.js';
import { LATENCY_BUCKETS_SECONDS, type RequestMeter } from './request-meter.js';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const ROLES = ['standalone', 'leader', 'follower', 'observer', 'looking'] as const;

function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

class Writer {
  text = '';

  family(name: string, type: 'counter' | 'gauge' | 'histogram' | 'summary', help: string): void {
    this.text += `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
  }

  sample(name: string, value: number, labels: Record<string, string> = {}): void {
    const pairs = Object.entries(labels).map(([key, text]) => `${key}="${label(text)}"`);
    this.text += `${name}${pairs.length > 0 ? `{${pairs.join(',')}}` : ''} ${Number.isFinite(value) ? value : 0}\n`;
  }

  gauge(name: string, help: string, value: number): void {
    this.family(name, 'gauge', help);
    this.sample(name, value);
  }
}

export interface MetricsSources {
  source: AdminSource;
  meter: RequestMeter;
  transports: () => TransportCounts;
  slowClientsCut: () => { sse: number; websocket: number };
  historySize: () => number;
}

export function renderMetrics(sources: MetricsSources): string {
  const info = sources.source.info();
  const out = new Writer();

  out.family('cairn_requests_total', 'counter', 'Requests answered, by transport, op and outcome (ok or the ZooKeeper error name).');
  for (const total of sources.meter.totals.values()) out.sample('cairn_requests_total', total.count, { transport: total.transport, op: total.op, outcome: total.outcome });

  out.family('cairn_request_duration_seconds', 'histogram', 'Time from submission to answer, by transport and op.');
  for (const { transport, op, histogram } of sources.meter.latencies.values()) {
    let cumulative = 0;
    LATENCY_BUCKETS_SECONDS.forEach((bound, index) => {
      cumulative += histogram.counts[index] as number;
      out.sample('cairn_request_duration_seconds_bucket', cumulative, { transport, op, le: String(bound) });
    });
    out.sample('cairn_request_duration_seconds_bucket', histogram.count, { transport, op, le: '+Inf' });
    out.sample('cairn_request_duration_seconds_sum', histogram.sum, { transport, op });
    out.sample('cairn_request_duration_seconds_count', histogram.count, { transport, op });
  }

  out.family('cairn_fsync_duration_seconds', 'summary', 'Transaction log fsyncs (one per group-committed batch).');
  out.sample('cairn_fsync_duration_seconds_sum', (info.log.totalSyncLatencyMs ?? 0) / 1000);
  out.sample('cairn_fsync_duration_seconds_count', info.log.syncCount ?? 0);
  out.gauge('cairn_fsync_last_duration_seconds', 'The latest fsync.', (info.log.lastSyncLatencyMs ?? 0) / 1000);
  out.gauge('cairn_fsync_max_duration_seconds', 'The slowest fsync since start.', (info.log.maxSyncLatencyMs ?? 0) / 1000);

  out.gauge('cairn_outstanding_requests', 'Writes proposed and not yet applied.', info.outstandingWrites);
  out.gauge('cairn_sessions', 'Live sessions.', info.sessionCount);
  out.gauge('cairn_sessions_attached', 'Sessions with a channel (stream or socket) on this server.', info.attachedSessionCount);
  out.gauge('cairn_watches', 'Registered watches (one-shot and persistent).', info.watchCount);
  out.gauge('cairn_znodes', 'Znodes in the tree.', info.znodeCount);
  out.gauge('cairn_ephemerals', 'Ephemeral znodes.', info.ephemeralCount);
  out.gauge('cairn_last_zxid', 'The last applied zxid.', info.lastZxid);
  out.family('cairn_snapshots_total', 'counter', 'Snapshots written since start.');
  out.sample('cairn_snapshots_total', info.snapshots);

  out.family('cairn_quorum_role', 'gauge', "1 for this server's role in the ensemble.");
  for (const role of ROLES) out.sample('cairn_quorum_role', role === info.serverState ? 1 : 0, { role });

  const transports = sources.transports();
  out.gauge('cairn_http_sse_streams', 'Open Server-Sent Events watch streams.', transports.sseStreams);
  out.gauge('cairn_http_websockets', 'Open WebSocket session channels.', transports.webSockets);
  out.gauge('cairn_http_sessions', 'Sessions held for HTTP requests.', transports.httpSessions);
  out.gauge('cairn_http_watch_history_events', 'Events held for Last-Event-ID resumes.', sources.historySize());
  const cut = sources.slowClientsCut();
  out.family('cairn_http_slow_clients_cut_total', 'counter', 'Streams closed because the client did not read.');
  out.sample('cairn_http_slow_clients_cut_total', cut.sse, { kind: 'sse' });
  out.sample('cairn_http_slow_clients_cut_total', cut.websocket, { kind: 'websocket' });

  out.gauge('cairn_process_resident_memory_bytes', 'Resident memory.', process.memoryUsage().rss);
  out.gauge('cairn_uptime_seconds', 'Seconds since the server started.', (Date.now() - info.startedAtMs) / 1000);
  return out.text;
}
