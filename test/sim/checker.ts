// A linearizability checker written here (Wing & Gong's search with Lowe's memoisation, as in
// Porcupine), over a znode model. Histories are split per znode path (linearizability is
// compositional), and each part is searched on its own.

export type NodeOp =
  | { kind: 'create'; value: string }
  | { kind: 'set'; value: string }
  | { kind: 'delete' }
  | { kind: 'read' };

export type NodeResult =
  | { ok: true; version?: number; value?: string }
  | { ok: false; error: 'NoNode' | 'NodeExists' };

export interface Operation {
  id: number;
  client: number;
  path: string;
  op: NodeOp;
  invokeMs: number;
  /** null: the outcome is unknown (no answer); the op may or may not have taken effect. */
  returnMs: number | null;
  result: NodeResult | null;
}

interface ZnodeState {
  exists: boolean;
  value: string;
  version: number;
}

const ABSENT: ZnodeState = { exists: false, value: '', version: 0 };

/** The znode model: the next state, or null when `result` cannot be what `op` returns here. */
export function stepModel(state: ZnodeState, op: NodeOp, result: NodeResult | null): ZnodeState | null {
  switch (op.kind) {
    case 'create':
      if (state.exists) return result === null || (!result.ok && result.error === 'NodeExists') ? state : null;
      return result === null || result.ok ? { exists: true, value: op.value, version: 0 } : null;
    case 'set': {
      if (!state.exists) return result === null || (!result.ok && result.error === 'NoNode') ? state : null;
      const next = { exists: true, value: op.value, version: state.version + 1 };
      if (result === null) return next;
      return result.ok && (result.version === undefined || result.version === next.version) ? next : null;
    }
    case 'delete':
      if (!state.exists) return result === null || (!result.ok && result.error === 'NoNode') ? state : null;
      return result === null || result.ok ? ABSENT : null;
    case 'read':
      if (result === null) return state;
      if (!state.exists) return !result.ok && result.error === 'NoNode' ? state : null;
      return result.ok && result.value === state.value && result.version === state.version ? state : null;
  }
}

interface ListEntry {
  operation: Operation;
  isCall: boolean;
  time: number;
  match: ListEntry | null;
  previous: ListEntry | null;
  next: ListEntry | null;
}

export interface CheckResult {
  ok: boolean;
  /** The path whose history is not linearizable. */
  failedPath?: string;
  /** Search steps taken, to bound and report the work. */
  steps: number;
}

/** Checks a whole history; unknown-outcome ops may take effect at any time after their call, or never. */
export function checkLinearizable(operations: readonly Operation[], stepLimit = 5_000_000): CheckResult {
  const byPath = new Map<string, Operation[]>();
  for (const operation of operations) {
    let list = byPath.get(operation.path);
    if (list === undefined) byPath.set(operation.path, (list = []));
    list.push(operation);
  }
  let steps = 0;
  for (const [path, list] of [...byPath].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const outcome = checkOne(list, stepLimit - steps);
    steps += outcome.steps;
    if (!outcome.ok) return { ok: false, failedPath: path, steps };
  }
  return { ok: true, steps };
}

function buildList(operations: readonly Operation[]): ListEntry | null {
  const entries: ListEntry[] = [];
  for (const operation of operations) {
    const call: ListEntry = { operation, isCall: true, time: operation.invokeMs, match: null, previous: null, next: null };
    const ret: ListEntry = { operation, isCall: false, time: operation.returnMs ?? Number.POSITIVE_INFINITY, match: null, previous: null, next: null };
    call.match = ret;
    ret.match = call;
    entries.push(call, ret);
  }
  // Calls before returns at equal times: overlapping at an instant counts as concurrent.
  entries.sort((a, b) => a.time - b.time || (a.isCall === b.isCall ? a.operation.id - b.operation.id : a.isCall ? -1 : 1));
  const head: ListEntry = { operation: null as unknown as Operation, isCall: false, time: -1, match: null, previous: null, next: null };
  let previous = head;
  for (const entry of entries) {
    entry.previous = previous;
    previous.next = entry;
    previous = entry;
  }
  return head;
}

function lift(call: ListEntry): void {
  call.previous!.next = call.next;
  if (call.next !== null) call.next.previous = call.previous;
  const ret = call.match!;
  ret.previous!.next = ret.next;
  if (ret.next !== null) ret.next.previous = ret.previous;
}

function unlift(call: ListEntry): void {
  const ret = call.match!;
  ret.previous!.next = ret;
  if (ret.next !== null) ret.next.previous = ret;
  call.previous!.next = call;
  if (call.next !== null) call.next.previous = call;
}

function checkOne(operations: readonly Operation[], stepLimit: number): { ok: boolean; steps: number } {
  const head = buildList(operations)!;
  const index = new Map(operations.map((operation, position) => [operation.id, BigInt(position)]));
  const cache = new Set<string>();
  const stack: { entry: ListEntry; state: ZnodeState }[] = [];
  let state: ZnodeState = ABSENT;
  let linearized = 0n;
  let entry = head.next;
  let steps = 0;
  while (head.next !== null) {
    if (++steps > stepLimit) throw new Error(`linearizability search exceeded ${stepLimit} steps`);
    if (entry === null) return { ok: false, steps };
    if (entry.isCall) {
      const next = stepModel(state, entry.operation.op, entry.operation.result);
      if (next !== null) {
        const bits = linearized | (1n << index.get(entry.operation.id)!);
        const key = `${bits.toString(36)}|${next.exists ? 1 : 0}|${next.version}|${next.value}`;
        if (!cache.has(key)) {
          cache.add(key);
          stack.push({ entry, state });
          state = next;
          linearized = bits;
          lift(entry);
          entry = head.next;
          continue;
        }
      }
      entry = entry.next;
      continue;
    }
    // Reaching a return whose op is not linearized: only unknown outcomes may stay that way,
    // and they sort last, so everything with a known outcome is placed.
    if (entry.operation.returnMs === null) return { ok: true, steps };
    const top = stack.pop();
    if (top === undefined) return { ok: false, steps };
    state = top.state;
    linearized &= ~(1n << index.get(top.entry.operation.id)!);
    unlift(top.entry);
    entry = top.entry.next;
  }
  return { ok: true, steps };
}
