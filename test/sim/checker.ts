// A linearizability checker written here (Wing & Gong's search with Lowe's memoisation, as in
// Porcupine), over a model of znodes. Linearizability is compositional: a history is split into
// groups of paths that no operation spans (a multi joins the paths it touches), and each group is
// searched on its own, as one object whose state is all of its znodes.

/** `version` -1 (or absent) matches any version, as in ZooKeeper. */
export type SubOp =
  | { kind: 'create'; path: string; value: string }
  | { kind: 'set'; path: string; value: string; version: number }
  | { kind: 'delete'; path: string; version: number }
  | { kind: 'check'; path: string; version: number };

export type NodeOp =
  | { kind: 'create'; value: string }
  | { kind: 'set'; value: string; version?: number }
  | { kind: 'delete'; version?: number }
  | { kind: 'read' }
  | { kind: 'multi'; ops: SubOp[] };

export type NodeError = 'NoNode' | 'NodeExists' | 'BadVersion';

/** A failed multi names its first failing op (`index`); the others did nothing. */
export type NodeResult = { ok: true; version?: number; value?: string } | { ok: false; error: NodeError; index?: number };

export interface Operation {
  id: number;
  client: number;
  /** The znode a single op is on; a multi's is its first op's (see pathsOf). */
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

/** The paths an operation reads or changes. */
export function pathsOf(operation: Operation): string[] {
  return operation.op.kind === 'multi' ? [...new Set(operation.op.ops.map((sub) => sub.path))] : [operation.path];
}

function versionMatches(expected: number | undefined, actual: number): boolean {
  return expected === undefined || expected === -1 || expected === actual;
}

/** What one change does to a znode: its next state, or the error it fails with (changing nothing). */
function change(state: ZnodeState, op: Exclude<NodeOp, { kind: 'read' } | { kind: 'multi' }> | SubOp): ZnodeState | NodeError {
  switch (op.kind) {
    case 'create':
      return state.exists ? 'NodeExists' : { exists: true, value: op.value, version: 0 };
    case 'set':
      if (!state.exists) return 'NoNode';
      return versionMatches(op.version, state.version) ? { exists: true, value: op.value, version: state.version + 1 } : 'BadVersion';
    case 'delete':
      if (!state.exists) return 'NoNode';
      return versionMatches(op.version, state.version) ? ABSENT : 'BadVersion';
    case 'check':
      if (!state.exists) return 'NoNode';
      return versionMatches(op.version, state.version) ? state : 'BadVersion';
  }
}

/** The model of one znode: the next state, or null when `result` cannot be what `op` returns here. */
export function stepModel(state: ZnodeState, op: Exclude<NodeOp, { kind: 'multi' }>, result: NodeResult | null): ZnodeState | null {
  if (op.kind === 'read') {
    if (result === null) return state;
    if (!state.exists) return !result.ok && result.error === 'NoNode' ? state : null;
    return result.ok && result.value === state.value && result.version === state.version ? state : null;
  }
  const next = change(state, op);
  if (typeof next === 'string') return result === null || (!result.ok && result.error === next) ? state : null;
  if (result === null) return next;
  if (!result.ok) return null;
  return op.kind !== 'set' || result.version === undefined || result.version === next.version ? next : null;
}

/** The state of a group of znodes, by path. */
type World = ReadonlyMap<string, ZnodeState>;

/** The model of a group: a multi applies all of its ops or none (the first failure names itself). */
function stepWorld(world: World, operation: Operation, result: NodeResult | null): World | null {
  const op = operation.op;
  if (op.kind !== 'multi') {
    const next = stepModel(world.get(operation.path) ?? ABSENT, op, result);
    if (next === null) return null;
    return new Map(world).set(operation.path, next);
  }
  const scratch = new Map(world);
  for (const [index, sub] of op.ops.entries()) {
    const next = change(scratch.get(sub.path) ?? ABSENT, sub);
    if (typeof next === 'string') return result === null || (!result.ok && result.error === next && result.index === index) ? world : null;
    scratch.set(sub.path, next);
  }
  return result === null || result.ok ? scratch : null;
}

function worldKey(world: World): string {
  let key = '';
  // An absent znode is the same state whether the map holds it or not.
  for (const [path, state] of [...world].sort(([a], [b]) => (a < b ? -1 : 1))) if (state.exists) key += `${path}:${state.version}|${state.value};`;
  return key;
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
  /** The paths of the group whose history is not linearizable. */
  failedPaths?: string[];
  /** Search steps taken, to bound and report the work. */
  steps: number;
}

/** Checks a whole history; unknown-outcome ops may take effect at any time after their call, or never. */
export function checkLinearizable(operations: readonly Operation[], stepLimit = 5_000_000): CheckResult {
  let steps = 0;
  for (const group of groupByPaths(operations)) {
    const outcome = checkOne(group.operations, stepLimit - steps);
    steps += outcome.steps;
    if (!outcome.ok) return { ok: false, failedPaths: group.paths, steps };
  }
  return { ok: true, steps };
}

/** Splits a history into groups of paths no operation spans (union-find over each multi's paths). */
export function groupByPaths(operations: readonly Operation[]): { paths: string[]; operations: Operation[] }[] {
  const parent = new Map<string, string>();
  const root = (path: string): string => {
    let at = path;
    while (parent.get(at) !== at) at = parent.get(at)!;
    parent.set(path, at);
    return at;
  };
  for (const operation of operations) {
    const paths = pathsOf(operation);
    for (const path of paths) if (!parent.has(path)) parent.set(path, path);
    for (const path of paths.slice(1)) parent.set(root(path), root(paths[0]!));
  }
  const groups = new Map<string, { paths: string[]; operations: Operation[] }>();
  for (const path of [...parent.keys()].sort()) {
    const key = root(path);
    if (!groups.has(key)) groups.set(key, { paths: [], operations: [] });
    groups.get(key)!.paths.push(path);
  }
  for (const operation of operations) groups.get(root(pathsOf(operation)[0]!))!.operations.push(operation);
  return [...groups.values()];
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
  const stack: { entry: ListEntry; state: World }[] = [];
  let state: World = new Map();
  let linearized = 0n;
  let entry = head.next;
  let steps = 0;
  while (head.next !== null) {
    if (++steps > stepLimit) throw new Error(`linearizability search exceeded ${stepLimit} steps`);
    if (entry === null) return { ok: false, steps };
    if (entry.isCall) {
      const next = stepWorld(state, entry.operation, entry.operation.result);
      if (next !== null) {
        const bits = linearized | (1n << index.get(entry.operation.id)!);
        const key = `${bits.toString(36)}|${worldKey(next)}`;
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
