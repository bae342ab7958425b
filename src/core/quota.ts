// ZooKeeper's quotas. A quota on a subtree is a node `zookeeper_limits` under the subtree's mirror
// in /zookeeper/quota (the quota of /app is /zookeeper/quota/app/zookeeper_limits), whose data is
// ZooKeeper's StatsTrack text: `count=C,bytes=B` for the soft limits, and since 3.7 the hard ones
// after a `=` marker, `count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=2` (-1: no limit). Its
// sibling `zookeeper_stats` shows what the subtree uses, `count=N,bytes=M`: nodes including the
// subtree's root, and the sum of their data lengths.
//
// Which quota a node counts toward: the deepest quota'd path at or above it (ZooKeeper's
// getMaxPrefixWithQuota), so with nested quotas a node counts toward the innermost one only. A
// path is quota'd while its mirror holds a limits or a stats node (ZooKeeper: a limits node).
// The root and the /zookeeper subtree never carry a quota here: the quota nodes themselves live
// in /zookeeper, and counting them would make each stats update change the usage it reports.
// Pure and synchronous.

import { assert } from './errors.js';
import { isAncestorOrSelf, joinPath, parentOf, RESERVED_ROOT } from './path.js';
import type { Data } from './types.js';

export const QUOTA_ROOT = `${RESERVED_ROOT}/quota`;
export const LIMITS_NODE = 'zookeeper_limits';
export const STATS_NODE = 'zookeeper_stats';

/** What a quota'd subtree holds: its nodes (the subtree's root included) and their data bytes. */
export interface QuotaUsage {
  readonly count: number;
  readonly bytes: number;
}

/** A quota's limits; -1 means none. The soft ones only warn, the hard ones refuse (enforceQuota). */
export interface QuotaLimits {
  readonly count: number;
  readonly bytes: number;
  readonly countHardLimit: number;
  readonly byteHardLimit: number;
}

export const NO_LIMITS: QuotaLimits = Object.freeze({ count: -1, bytes: -1, countHardLimit: -1, byteHardLimit: -1 });

/** Whether a subtree may carry a quota: not the root, nothing in /zookeeper. */
export function isQuotaSubject(path: string): boolean {
  return path !== '/' && !isAncestorOrSelf(RESERVED_ROOT, path);
}

/** The mirror of a subject under /zookeeper/quota: '/a/b' → '/zookeeper/quota/a/b'. */
function quotaDirectoryOf(subject: string): string {
  return QUOTA_ROOT + subject;
}

export function limitsPathOf(subject: string): string {
  return joinPath(quotaDirectoryOf(subject), LIMITS_NODE);
}

export function statsPathOf(subject: string): string {
  return joinPath(quotaDirectoryOf(subject), STATS_NODE);
}

/**
 * The subject whose quota node `path` is, when it is a node named `nodeName` in the mirror of a
 * path that may carry a quota: '/zookeeper/quota/a/b/zookeeper_limits' → '/a/b'; else null.
 */
export function subjectOfQuotaNode(path: string, nodeName: typeof LIMITS_NODE | typeof STATS_NODE): string | null {
  if (!path.endsWith(`/${nodeName}`)) return null;
  const directory = parentOf(path);
  if (!directory.startsWith(`${QUOTA_ROOT}/`)) return null;
  const subject = directory.slice(QUOTA_ROOT.length);
  return isQuotaSubject(subject) ? subject : null;
}

/** The subject whose limits or stats node `path` is, or null. */
export function subjectOfAnyQuotaNode(path: string): string | null {
  return subjectOfQuotaNode(path, LIMITS_NODE) ?? subjectOfQuotaNode(path, STATS_NODE);
}

// ---------------------------------------------------------------------------------------------
// StatsTrack text

const decoder = new TextDecoder();
const encoder = new TextEncoder();
const INTEGER = /^-?\d+$/;

/**
 * The fields of a StatsTrack text, or null when it is not one. The legacy form is
 * `count=C,bytes=B`; the 3.7 form appends `=` and `;key=value` pairs (the extra `=` is how
 * ZooKeeper tells the forms apart).
 */
export function parseStatsTrack(text: string): Map<string, number> | null {
  const marker = text.indexOf('=;');
  const head = marker < 0 ? text : text.slice(0, marker);
  const tail = marker < 0 ? '' : text.slice(marker + 2);
  const fields = new Map<string, number>();
  const pairs = [...head.split(','), ...(tail === '' ? [] : tail.split(';'))];
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    if (equals <= 0) return null;
    const value = pair.slice(equals + 1).trim();
    if (!INTEGER.test(value) || !Number.isSafeInteger(Number(value))) return null;
    fields.set(pair.slice(0, equals).trim(), Number(value));
  }
  return fields;
}

/** The limits a limits node's data sets; a node that does not parse sets none (as if absent). */
export function parseQuotaLimits(data: Data): QuotaLimits {
  if (data === null || data.length === 0) return NO_LIMITS;
  const fields = parseStatsTrack(decoder.decode(data));
  if (fields === null) return NO_LIMITS;
  return {
    count: fields.get('count') ?? -1,
    bytes: fields.get('bytes') ?? -1,
    countHardLimit: fields.get('countHardLimit') ?? -1,
    byteHardLimit: fields.get('byteHardLimit') ?? -1,
  };
}

/** A stats node's data, as ZooKeeper writes it. */
export function formatQuotaUsage(usage: QuotaUsage): Uint8Array {
  return encoder.encode(`count=${usage.count},bytes=${usage.bytes}`);
}

// ---------------------------------------------------------------------------------------------
// Checking a change against the limits

export interface QuotaBreach {
  subject: string;
  what: 'count' | 'bytes';
  /** The usage the change would lead to. */
  value: number;
  limit: number;
  hard: boolean;
}

/**
 * The limit a change breaks, as ZooKeeper's checkQuota decides: a field is checked when the
 * change moves it and a limit is set, against the hard limit when there is one, else the soft.
 * So a subtree already over its byte limit (the limit lowered, or writes made without
 * enforceQuota) refuses even a setData that shrinks it, as ZooKeeper 3.8 does; deletes are never
 * checked, and are how such a subtree gets back under.
 */
export function quotaBreach(subject: string, limits: QuotaLimits, before: QuotaUsage, after: QuotaUsage): QuotaBreach | null {
  const check = (what: 'count' | 'bytes', soft: number, hardLimit: number, from: number, to: number): QuotaBreach | null => {
    if (to === from) return null;
    const hard = hardLimit > -1;
    const limit = hard ? hardLimit : soft;
    if (limit < 0 || to <= limit) return null;
    return { subject, what, value: to, limit, hard };
  };
  const count = check('count', limits.count, limits.countHardLimit, before.count, after.count);
  const bytes = check('bytes', limits.bytes, limits.byteHardLimit, before.bytes, after.bytes);
  // A hard breach refuses the change, so it is the one to report.
  if (count?.hard === true) return count;
  if (bytes?.hard === true) return bytes;
  return count ?? bytes;
}

export function describeBreach(breach: QuotaBreach): string {
  const kind = breach.hard ? 'hard' : 'soft';
  return `quota of ${breach.subject} exceeded: ${breach.what} would be ${breach.value}, ${kind} limit ${breach.limit}`;
}

// ---------------------------------------------------------------------------------------------
// The usage of every quota'd subtree, as the tree keeps it

export class QuotaUsageTable {
  private readonly usage = new Map<string, QuotaUsage>();

  get size(): number {
    return this.usage.size;
  }

  subjects(): IterableIterator<string> {
    return this.usage.keys();
  }

  has(subject: string): boolean {
    return this.usage.has(subject);
  }

  usageOf(subject: string): QuotaUsage {
    const usage = this.usage.get(subject);
    assert(usage !== undefined, `${subject} has a quota`);
    return usage;
  }

  /** The quota `path` counts toward: the deepest subject at or above it, or null. */
  subjectOf(path: string): string | null {
    if (this.usage.size === 0 || !isQuotaSubject(path)) return null;
    for (let candidate = path; candidate !== '/'; candidate = parentOf(candidate)) {
      if (this.usage.has(candidate)) return candidate;
    }
    return null;
  }

  /** The quota strictly above a subject, whose usage held the subject's nodes before it had its own. */
  enclosingSubjectOf(subject: string): string | null {
    return this.subjectOf(parentOf(subject));
  }

  set(subject: string, usage: QuotaUsage): void {
    assert(isQuotaSubject(subject), `${subject} may carry a quota`);
    assert(usage.count >= 0 && usage.bytes >= 0, `usage of ${subject} is not negative`);
    this.usage.set(subject, usage);
  }

  adjust(subject: string, countDelta: number, bytesDelta: number): QuotaUsage {
    const before = this.usageOf(subject);
    const after = { count: before.count + countDelta, bytes: before.bytes + bytesDelta };
    this.set(subject, after);
    return after;
  }

  remove(subject: string): QuotaUsage {
    const usage = this.usageOf(subject);
    this.usage.delete(subject);
    return usage;
  }
}

export function dataLengthOf(data: Data): number {
  return data === null ? 0 : data.length;
}
