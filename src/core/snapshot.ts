// Snapshot contents: the session table and every znode, cut into chunks so that a large tree is
// serialized a little at a time between requests (fuzzy, as ZooKeeper's: replaying the log from
// the zxid at which the snapshot started makes it exact, because applying is idempotent).

import { Reader, Writer } from './codec.js';
import { assert, keeperError } from './errors.js';
import type { NodeKind } from './datatree.js';
import type { ReplicatedState } from './state.js';

const CHUNK_SESSIONS = 1;
const CHUNK_NODES = 2;

/** Yields the chunks of a snapshot; between chunks the caller may let other work run. */
export function* serializeState(state: ReplicatedState, nodesPerChunk = 4096): Generator<Uint8Array> {
  const sessions = new Writer(64 + state.sessions.size * 40);
  sessions.u8(CHUNK_SESSIONS).u32(state.sessions.size);
  for (const [sessionId, info] of state.sessions) sessions.i64(sessionId).u32(info.timeoutMs).bytes(info.password);
  yield new Uint8Array(sessions.finish());

  const writer = new Writer(1 << 20);
  let count = 0;
  let countOffset = 0;
  const begin = () => {
    writer.reset();
    writer.u8(CHUNK_NODES);
    countOffset = writer.length;
    writer.u32(0);
    count = 0;
  };
  begin();
  for (const [path, node] of state.tree.walk()) {
    writer
      .string(path)
      .bytes(node.data)
      .acl(node.acl)
      .i64(node.czxid)
      .i64(node.mzxid)
      .i64(node.pzxid)
      .i64(node.ctime)
      .i64(node.mtime)
      .i32(node.version)
      .i32(node.cversion)
      .i32(node.aversion)
      .i64(node.ephemeralOwner)
      .u8(node.kind)
      .i64(node.ttlMs);
    count++;
    if (count === nodesPerChunk) {
      yield patchCount(writer.finish(), countOffset, count);
      begin();
    }
  }
  if (count > 0) yield patchCount(writer.finish(), countOffset, count);
}

/** A copy of the writer's bytes with the node count filled in (the writer's buffer is reused). */
function patchCount(view: Uint8Array, offset: number, count: number): Uint8Array {
  const chunk = new Uint8Array(view);
  new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength).setUint32(offset, count);
  return chunk;
}

/** Loads one chunk into a fresh state (chunks in the order they were written). */
export function loadChunk(state: ReplicatedState, chunk: Uint8Array): void {
  const reader = new Reader(chunk);
  const kind = reader.u8();
  if (kind === CHUNK_SESSIONS) {
    const count = reader.count(8 + 4 + 4);
    for (let index = 0; index < count; index++) {
      const sessionId = reader.i64();
      const timeoutMs = reader.u32();
      const password = reader.bytesNonNull();
      state.sessions.set(sessionId, { timeoutMs, password });
    }
  } else if (kind === CHUNK_NODES) {
    const count = reader.count(1);
    for (let index = 0; index < count; index++) {
      const path = reader.string();
      const data = reader.bytesOrNull();
      const acl = reader.acl();
      const czxid = reader.i64();
      const mzxid = reader.i64();
      const pzxid = reader.i64();
      const ctime = reader.i64();
      const mtime = reader.i64();
      const version = reader.i32();
      const cversion = reader.i32();
      const aversion = reader.i32();
      const ephemeralOwner = reader.i64();
      const nodeKind = reader.u8();
      assert(nodeKind <= 2, `node kind ${nodeKind} in snapshot`);
      const ttlMs = reader.i64();
      state.tree.restoreNode(path, {
        data,
        acl,
        czxid,
        mzxid,
        pzxid,
        ctime,
        mtime,
        version,
        cversion,
        aversion,
        ephemeralOwner,
        kind: nodeKind as NodeKind,
        ttlMs,
      });
    }
  } else {
    throw keeperError('MarshallingError', undefined, `unknown snapshot chunk kind ${kind}`);
  }
  reader.end();
}
