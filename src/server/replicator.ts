// How a node's proposals become committed txns. A standalone server makes each record durable in
// its own log and commits it (LocalReplicator); an ensemble member will hand it to ZAB instead.
// The request pipeline in node.ts sees only this interface.

import { encodeTxnRecord } from '../core/codec.js';
import { assert } from '../core/errors.js';
import { makeZxid, type TxnRecord, type Zxid } from '../core/types.js';
import type { Persistence } from './persistence.js';

export interface Replicator {
  /** The zxid of the last proposal (the barrier a refused write or a sync waits for). */
  readonly lastProposedZxid: Zxid;
  /** The zxid the next proposal must carry; null when this server cannot propose now. */
  nextZxid(): Zxid | null;
  /** Proposes a record carrying nextZxid(); it comes back through `onCommitted` once committed. */
  propose(record: TxnRecord): void;
}

export type CommitListener = (record: TxnRecord) => void;

/** Standalone: a record is committed once it is fsynced in the local log. */
export class LocalReplicator implements Replicator {
  lastProposedZxid: Zxid;

  constructor(
    private readonly persistence: Persistence,
    /** A new epoch at every start: zxids never repeat, even over a truncated unacknowledged tail. */
    epoch: number,
    private readonly onCommitted: CommitListener,
    private readonly onFailure: (error: unknown) => void,
  ) {
    this.lastProposedZxid = makeZxid(epoch, 0);
  }

  nextZxid(): Zxid {
    return this.lastProposedZxid + 1;
  }

  propose(record: TxnRecord): void {
    const zxid = record.header.zxid;
    assert(zxid === this.nextZxid(), `proposal ${zxid} carries the next zxid ${this.nextZxid()}`);
    this.lastProposedZxid = zxid;
    // Appends resolve in order (one group commit after another), so commits come in zxid order.
    this.persistence.append(zxid, encodeTxnRecord(record)).then(
      () => this.onCommitted(record),
      (error) => this.onFailure(error),
    );
  }
}
