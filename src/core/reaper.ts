// Which nodes the server removes by itself: containers that once had children and have none left,
// and TTL nodes that are childless and unmodified for longer than their TTL. Pure: time is passed in.

import { NodeKind, type DataTree } from './datatree.js';

export function reapCandidates(tree: DataTree, nowMs: number): string[] {
  const candidates: string[] = [];
  for (const path of tree.containers) {
    const node = tree.get(path)!;
    if (node.numChildren === 0 && node.cversion > 0) candidates.push(path);
  }
  for (const path of tree.ttlNodes) {
    const node = tree.get(path)!;
    if (node.kind === NodeKind.TTL && node.numChildren === 0 && nowMs - node.mtime > node.ttlMs) candidates.push(path);
  }
  return candidates.sort();
}
