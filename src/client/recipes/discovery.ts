// Service discovery with Curator x-discovery's layout and JSON (org.apache.curator.x.discovery):
// an instance of service NAME is the node <base>/<NAME>/<id> holding the instance as
// JsonInstanceSerializer writes it:
//
//   {"name":"api","id":"…","address":"10.0.0.5","port":8080,"sslPort":null,
//    "payload":{"@class":"java.util.HashMap","zone":"eu"},"registrationTimeUTC":1700000000000,
//    "serviceType":"DYNAMIC","uriSpec":{"parts":[{"value":"scheme","variable":true},…]}}
//
// DYNAMIC instances are ephemeral (they go with their process) and registered again after a lost
// session; STATIC and PERMANENT ones are persistent. A payload object is written with the "@class"
// Curator's Jackson typing expects (java.util.HashMap unless told otherwise) and read back without
// it. ServiceProvider picks instances client-side (round robin, random, sticky) from a live cache.

import { isKeeperError } from '../../core/errors.js';
import { CreateMode } from '../../core/types.js';
import type { Cairn } from '../sdk.js';
import { TreeCache } from './cache.js';
import { PersistentNode } from './node.js';
import { createWithParents, deleteIfPresent, joinPath, randomUuid } from './paths.js';

export type ServiceType = 'DYNAMIC' | 'STATIC' | 'PERMANENT' | 'DYNAMIC_SEQUENTIAL';

export interface UriSpecPart {
  value: string;
  variable: boolean;
}

export interface ServiceInstance<P = Record<string, unknown>> {
  name: string;
  id: string;
  address: string | null;
  port: number | null;
  sslPort: number | null;
  payload: P | null;
  registrationTimeUTC: number;
  serviceType: ServiceType;
  uriSpec: { parts: UriSpecPart[] } | null;
}

/** Curator's UriSpec text ("{scheme}://{address}:{port}/path") → its parts. */
export function parseUriSpec(spec: string): { parts: UriSpecPart[] } {
  const parts: UriSpecPart[] = [];
  const pattern = /\{([^}]*)\}|[^{]+/g;
  for (const match of spec.matchAll(pattern)) {
    parts.push(match[1] !== undefined ? { value: match[1], variable: true } : { value: match[0], variable: false });
  }
  return { parts };
}

/** Fills an instance's UriSpec as Curator's ServiceInstance.buildUriSpec does. */
export function buildUri(instance: ServiceInstance<unknown>, values: Record<string, string> = {}): string {
  const fields: Record<string, string | null> = {
    scheme: instance.sslPort !== null ? 'https' : 'http',
    name: instance.name,
    id: instance.id,
    address: instance.address,
    port: instance.port === null ? null : String(instance.port),
    'ssl-port': instance.sslPort === null ? null : String(instance.sslPort),
    'registration-time-utc': String(instance.registrationTimeUTC),
    'service-type': instance.serviceType.toLowerCase(),
    ...values,
  };
  return (instance.uriSpec?.parts ?? []).map((part) => (part.variable ? (fields[part.value] ?? '') : part.value)).join('');
}

export interface InstanceOptions<P> {
  name: string;
  id?: string;
  address?: string;
  port?: number;
  sslPort?: number;
  payload?: P;
  serviceType?: ServiceType;
  /** e.g. "{scheme}://{address}:{port}/status" */
  uriSpec?: string;
}

export function serviceInstance<P>(options: InstanceOptions<P>): ServiceInstance<P> {
  return {
    name: options.name,
    id: options.id ?? randomUuid(),
    address: options.address ?? null,
    port: options.port ?? null,
    sslPort: options.sslPort ?? null,
    payload: options.payload ?? null,
    registrationTimeUTC: Date.now(),
    serviceType: options.serviceType ?? 'DYNAMIC',
    uriSpec: options.uriSpec === undefined ? null : parseUriSpec(options.uriSpec),
  };
}

const UTF8 = new TextEncoder();
const TEXT = new TextDecoder();

export class ServiceDiscovery<P = Record<string, unknown>> {
  private readonly registered = new Map<string, { node: PersistentNode | null; path: string }>();

  constructor(
    private readonly client: Cairn,
    readonly basePath: string,
    /** The Java class Curator's Jackson typing names for object payloads (null: write none). */
    private readonly payloadClass: string | null = 'java.util.HashMap',
  ) {}

  encode(instance: ServiceInstance<P>): Uint8Array {
    const payload = instance.payload !== null && typeof instance.payload === 'object' && this.payloadClass !== null ? { '@class': this.payloadClass, ...instance.payload } : instance.payload;
    return UTF8.encode(JSON.stringify({ ...instance, payload }));
  }

  decode(bytes: Uint8Array | null): ServiceInstance<P> {
    const parsed = JSON.parse(bytes === null ? 'null' : TEXT.decode(bytes)) as ServiceInstance<P> & { payload: (P & { '@class'?: string }) | null };
    if (parsed === null || typeof parsed !== 'object' || typeof parsed.name !== 'string' || typeof parsed.id !== 'string') throw new Error('not a service instance');
    let payload = parsed.payload;
    if (payload !== null && typeof payload === 'object' && '@class' in payload) {
      const { '@class': _javaClass, ...rest } = payload;
      payload = rest as P & { '@class'?: string };
    }
    return {
      name: parsed.name,
      id: parsed.id,
      address: parsed.address ?? null,
      port: parsed.port ?? null,
      sslPort: parsed.sslPort ?? null,
      payload: payload ?? null,
      registrationTimeUTC: parsed.registrationTimeUTC ?? 0,
      serviceType: parsed.serviceType ?? 'DYNAMIC',
      uriSpec: parsed.uriSpec ?? null,
    };
  }

  private instancePath(name: string, id: string): string {
    return joinPath(joinPath(this.basePath, name), id);
  }

  /** Registers an instance (DYNAMIC ones again after a lost session, until unregistered). */
  async register(instance: ServiceInstance<P>): Promise<void> {
    const path = this.instancePath(instance.name, instance.id);
    const data = this.encode(instance);
    if (instance.serviceType === 'DYNAMIC' || instance.serviceType === 'DYNAMIC_SEQUENTIAL') {
      const mode = instance.serviceType === 'DYNAMIC' ? CreateMode.EPHEMERAL : CreateMode.EPHEMERAL_SEQUENTIAL;
      const node = new PersistentNode(this.client, path, data, mode);
      await node.start();
      this.registered.set(instance.id, { node, path: node.path ?? path });
      return;
    }
    try {
      await createWithParents(this.client, path, data, CreateMode.PERSISTENT);
    } catch (error) {
      if (!(isKeeperError(error) && error.codeName === 'NodeExists')) throw error;
      await this.client.setData(path, data);
    }
    this.registered.set(instance.id, { node: null, path });
  }

  /** Replaces a registered instance's data. */
  async update(instance: ServiceInstance<P>): Promise<void> {
    const entry = this.registered.get(instance.id);
    if (entry?.node !== null && entry?.node !== undefined) await entry.node.setData(this.encode(instance));
    else await this.client.setData(this.instancePath(instance.name, instance.id), this.encode(instance));
  }

  async unregister(instance: ServiceInstance<P>): Promise<void> {
    const entry = this.registered.get(instance.id);
    this.registered.delete(instance.id);
    if (entry?.node !== null && entry?.node !== undefined) {
      await entry.node.close();
      return;
    }
    await deleteIfPresent(this.client, entry?.path ?? this.instancePath(instance.name, instance.id));
  }

  async queryForNames(): Promise<string[]> {
    try {
      return (await this.client.getChildren(this.basePath)).children;
    } catch (error) {
      if (isKeeperError(error) && error.codeName === 'NoNode') return [];
      throw error;
    }
  }

  async queryForInstances(name: string): Promise<ServiceInstance<P>[]> {
    let ids: string[];
    try {
      ids = (await this.client.getChildren(joinPath(this.basePath, name))).children;
    } catch (error) {
      if (isKeeperError(error) && error.codeName === 'NoNode') return [];
      throw error;
    }
    const instances: ServiceInstance<P>[] = [];
    for (const id of ids) {
      const instance = await this.queryForInstance(name, id);
      if (instance !== null) instances.push(instance);
    }
    return instances;
  }

  async queryForInstance(name: string, id: string): Promise<ServiceInstance<P> | null> {
    try {
      return this.decode((await this.client.getData(this.instancePath(name, id))).data);
    } catch (error) {
      if (isKeeperError(error) && error.codeName === 'NoNode') return null;
      throw error;
    }
  }

  /** A client-side chooser among the live instances of `name`. */
  provider(name: string, strategy: ProviderStrategy<P> = roundRobin()): ServiceProvider<P> {
    return new ServiceProvider(this, new TreeCache(this.client, joinPath(this.basePath, name)), strategy);
  }

  /** Unregisters every instance this object registered. */
  async close(): Promise<void> {
    for (const [id, entry] of [...this.registered]) {
      this.registered.delete(id);
      if (entry.node !== null) await entry.node.close().catch(() => undefined);
    }
  }
}

export type ProviderStrategy<P> = (instances: readonly ServiceInstance<P>[]) => ServiceInstance<P> | null;

/** Curator's RoundRobinStrategy. */
export function roundRobin<P>(): ProviderStrategy<P> {
  let next = 0;
  return (instances) => (instances.length === 0 ? null : instances[next++ % instances.length]!);
}

/** Curator's RandomStrategy. */
export function randomChoice<P>(random: () => number = Math.random): ProviderStrategy<P> {
  return (instances) => (instances.length === 0 ? null : instances[Math.floor(random() * instances.length)]!);
}

/** Curator's StickyStrategy: the same instance while it is there. */
export function sticky<P>(fallback: ProviderStrategy<P> = roundRobin()): ProviderStrategy<P> {
  let chosen: string | null = null;
  return (instances) => {
    const current = instances.find((instance) => instance.id === chosen);
    if (current !== undefined) return current;
    const picked = fallback(instances);
    chosen = picked?.id ?? null;
    return picked;
  };
}

/** Live instances of one service (a TreeCache of its node) and a strategy to pick one. */
export class ServiceProvider<P> {
  constructor(
    private readonly discovery: ServiceDiscovery<P>,
    private readonly cache: TreeCache,
    private readonly strategy: ProviderStrategy<P>,
  ) {}

  async start(): Promise<void> {
    await this.cache.start();
  }

  /** The instances now, in id order. */
  allInstances(): ServiceInstance<P>[] {
    const instances: ServiceInstance<P>[] = [];
    for (const child of this.cache.children(this.cache.path).sort()) {
      try {
        instances.push(this.discovery.decode(this.cache.get(joinPath(this.cache.path, child))?.data ?? null));
      } catch {
        // Not an instance (a stray node): skipped, as Curator's cache skips what it cannot read.
      }
    }
    return instances;
  }

  /** One instance by the strategy, or null when there is none. */
  getInstance(): ServiceInstance<P> | null {
    return this.strategy(this.allInstances());
  }

  async close(): Promise<void> {
    await this.cache.close();
  }
}
