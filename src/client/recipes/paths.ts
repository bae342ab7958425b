// Helpers every recipe shares, with Curator's conventions so that a TypeScript recipe and a Curator
// one on the same path see each other's nodes: parents made as containers, "protected" sequential
// nodes (a `_c_<uuid>-` prefix, so that a create whose answer was lost can find its own node again),
// and ordering by the sequence number after a recipe's node name.

import { isKeeperError } from '../../core/errors.js';
import { CreateMode } from '../../core/types.js';
import { NO_RETRY, type RetryPolicy } from '../retry.js';
import type { Cairn } from '../sdk.js';
import type { DataInput } from '../data.js';

/** Curator's protection prefix (CreateBuilderImpl.PROTECTED_PREFIX). */
export const PROTECTED_PREFIX = '_c_';

export function joinPath(parent: string, child: string): string {
  return parent === '/' ? `/${child}` : `${parent}/${child}`;
}

export function nodeName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? '/' : path.slice(0, slash);
}

/** A random (version 4) UUID; crypto.randomUUID exists only in secure browser contexts. */
export function randomUuid(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Deletes `path` at any version; already gone is fine (a recipe's own node may go with its session). */
export async function deleteIfPresent(client: Cairn, path: string): Promise<void> {
  try {
    await client.delete(path);
  } catch (error) {
    if (!(isKeeperError(error) && error.codeName === 'NoNode')) throw error;
  }
}

/** Makes `path` and its missing ancestors as containers (Curator's creatingParentContainersIfNeeded). */
export async function ensureContainers(client: Cairn, path: string): Promise<void> {
  if (path === '/') return;
  if ((await client.exists(path)) !== null) return;
  await ensureContainers(client, parentOf(path));
  try {
    await client.create(path, null, { mode: CreateMode.CONTAINER });
  } catch (error) {
    if (!(isKeeperError(error) && error.codeName === 'NodeExists')) throw error;
  }
}

/** Creates `path` and its missing parents (as containers); NodeExists for `path` itself is the caller's. */
export async function createWithParents(client: Cairn, path: string, data: DataInput, mode: number, retry?: RetryPolicy): Promise<string> {
  const options = retry === undefined ? { mode } : { mode, retry };
  try {
    return (await client.create(path, data, options)).path;
  } catch (error) {
    if (!(isKeeperError(error) && error.codeName === 'NoNode')) throw error;
    await ensureContainers(client, parentOf(path));
    return (await client.create(path, data, options)).path;
  }
}

/**
 * Creates a protected ephemeral sequential node `<parent>/_c_<uuid>-<name><sequence>`. A create
 * whose answer was lost may have succeeded; a blind retry would leave a second node, ahead of which
 * the first would wait forever. So each attempt after the first looks for the node with our uuid
 * first, and only creates when there is none (Curator's protected mode).
 */
export async function createProtectedSequential(client: Cairn, parent: string, name: string, data: DataInput, mode: number = CreateMode.EPHEMERAL_SEQUENTIAL): Promise<string> {
  const prefix = `${PROTECTED_PREFIX}${randomUuid()}-`;
  return client.retry(async (attempt) => {
    if (attempt > 0) {
      const found = await findProtected(client, parent, prefix);
      if (found !== null) return found;
    }
    return createWithParents(client, joinPath(parent, `${prefix}${name}`), data, mode, NO_RETRY);
  });
}

async function findProtected(client: Cairn, parent: string, prefix: string): Promise<string | null> {
  try {
    const { children } = await client.getChildren(parent);
    const mine = children.find((child) => child.startsWith(prefix));
    return mine === undefined ? null : joinPath(parent, mine);
  } catch (error) {
    if (isKeeperError(error) && error.codeName === 'NoNode') return null;
    throw error;
  }
}

/** The part of a child's name after `name` (its sequence), or the whole name (Curator's standardFixForSorting). */
export function sortKey(child: string, name: string): string {
  const index = child.lastIndexOf(name);
  return index >= 0 ? child.slice(index + name.length) : child;
}

/** Children ordered by their sequence after any of `names` (Curator's LockInternals.getSortedChildren). */
export function sortChildren(children: readonly string[], names: readonly string[]): string[] {
  const key = (child: string) => names.reduce((text, name) => sortKey(text, name), child);
  return [...children].sort((a, b) => {
    const left = key(a);
    const right = key(b);
    return left < right ? -1 : left > right ? 1 : 0;
  });
}

/** Resolves after `ms`, or at once when aborted. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
