// A running system under test: one topology (standalone or an ensemble / cluster) of Cairn,
// ZooKeeper or etcd on loopback, started by the bench and stopped by the PIDs it started.

export type SystemName = 'cairn' | 'zookeeper' | 'etcd';

export interface ServerHandle {
  /** 1-based, as server.N / member names. */
  id: number;
  pid: number;
  dataDir: string;
  /** 'host:port' of the ZooKeeper wire protocol (Cairn, ZooKeeper). */
  jute?: string;
  /** 'host:port' of the gRPC API (Cairn, etcd). */
  grpc?: string;
  /** Base URL of the REST API ('http://127.0.0.1:port'): Cairn's REST, etcd's HTTP/JSON gateway. */
  http?: string;
  /** False once the process has exited. */
  alive(): boolean;
}

export interface Topology {
  system: SystemName;
  /** 'cairn-1', 'zookeeper-3', 'etcd-3'. */
  name: string;
  servers: ServerHandle[];
  /** The system's version as it reports it. */
  version: string;
  /** Every setting that differs from the system's defaults, ports and directories included, for the report. */
  settings: string[];
  /** The id of the server that leads now (a standalone server leads itself); null while none does. */
  leader(): Promise<number | null>;
  /** The servers' recent output (log lines), where the bench reads figures a system reports itself. */
  output?(): string;
  /** Durations the server reported for its snapshots (ZooKeeper), oldest first. */
  snapshotMs?(): number[];
  /** SIGKILL of one server (the fail-over run). */
  kill(id: number): void;
  /** Stops every process this topology started and removes its data. */
  stop(): Promise<void>;
}
