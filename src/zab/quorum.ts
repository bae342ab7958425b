// Quorum arithmetic, kept apart so it can be tested on its own: majorities of the voters.

import type { Zxid } from '../core/types.js';
import type { ServerId } from './types.js';

export function quorumSize(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

/** Whether the voters among `members` form a majority of `voters`. */
export function isQuorum(members: Iterable<ServerId>, voters: readonly ServerId[]): boolean {
  const voterSet = new Set(voters);
  let count = 0;
  for (const member of new Set(members)) if (voterSet.has(member)) count++;
  return count >= quorumSize(voters.length);
}

/** The highest zxid that a majority of voters has acknowledged (0 when none). */
export function quorumZxid(acknowledged: ReadonlyMap<ServerId, Zxid>, voters: readonly ServerId[]): Zxid {
  const values = voters.map((voter) => acknowledged.get(voter) ?? 0).sort((a, b) => b - a);
  return values[quorumSize(voters.length) - 1] ?? 0;
}
