// Deliberate bugs, one at a time, for proving that the deterministic simulation catches what its
// checkers claim to (`npm run sim -- --mutants`). Each names a mistake a contributor could make;
// the real code asks `mutant(name)` at the one place where that mistake would be made. Nothing
// but the simulator ever switches one on, and never more than one.

export const MUTANTS = {
  ackBeforeFsync: 'a follower acknowledges a proposal before it is durable',
  commitWithoutQuorum: 'a leader commits its proposals before a quorum acknowledged them',
  skipTruncate: 'a rejoining server is not truncated (the leader\'s TRUNC is ignored)',
  ackBeforeTruncationDurable: 'a follower acknowledges NEWLEADER before the cut of the leader\'s TRUNC is durable',
  applyBeforeCommit: 'a follower applies a proposal as it logs it, before its commit',
  gatheringLeaderSitsOut: 'a leader still gathering followers waits out initLimit though the other voters follow elsewhere',
  mutualFollowersWait: 'a follower whose leader follows it (each sent the other FOLLOWERINFO) waits for it to lead',
  laterEpochVoterLeftOut: 'a leader goes on leading though a voter that accepted a later epoch can never join it',
  snapshotInstallUnreported: 'a learner is told of a snapshot install only by the syncStart, which a dropped connection never delivers',
  truncationShortfallIgnored: 'a learner whose TRUNC cut removed a snapshot, leaving less than the cut point, goes on as if it held everything up to it',
  shortfallLogNotRewound: 'after a TRUNC that fell short, the log still takes appends only after the cut point',
  learnerExpiresSessions: 'a learner expires sessions on its own',
  logDirectoryNotSynced: 'a new log file\'s directory is not fsynced',
  persistentWatchFiresOnce: 'a persistent watch is removed when it fires, as a one-shot watch is',
  multiDropsLastOp: 'a multi that succeeds applies all its ops but the last',
  watchBeforeApply: 'a watch fires before the change is applied',
  reuseEpochAfterRestart: 'a restarted server reuses its old epoch (the epoch files are not written)',
  snapshotBeforeLogDurable: 'a snapshot is published before the log holds every txn whose effects it may contain',
  snapshotUncommitted: 'a snapshot is taken from a state that includes uncommitted txns',
  syncWithoutQuorum: 'a leader answers a sync or refuses a write without checking that a quorum still follows it',
  fsyncFailureIgnored: 'a failed fsync of the log is taken as done (as a retry that succeeds would be), and the server goes on',
} as const;

export type MutantName = keyof typeof MUTANTS;

let active: MutantName | null = null;

/** Whether this deliberate bug is switched on (never, outside the simulator's mutant runs). */
export function mutant(name: MutantName): boolean {
  return active === name;
}

export function setMutantForTesting(name: MutantName | null): void {
  active = name;
}

export function activeMutant(): MutantName | null {
  return active;
}
