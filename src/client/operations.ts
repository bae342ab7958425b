// The ZooKeeper operations both clients offer, written once: the single-stream connection
// (connection.ts) and the SDK's reconnecting session (sdk.ts) differ only in how a request is
// submitted (one stream, or retried across servers), which each supplies.

import { keeperError } from '../core/errors.js';
import type { ACL, Request, Response, Stat, WhoAmIResponse } from '../core/types.js';
import { toData, type DataInput } from './data.js';
import { Emitter } from './emitter.js';

export abstract class Operations<Events extends { [K in keyof Events]: unknown[] }> extends Emitter<Events> {
  /** Sends any request; resolves with its response or rejects with a KeeperError. */
  abstract submit(request: Request): Promise<Response>;

  protected async expect<O extends Response['op']>(request: Request, op: O): Promise<Extract<Response, { op: O }>> {
    const response = await this.submit(request);
    if (response.op !== op) throw keeperError('MarshallingError', undefined, `expected a ${op} response, got ${response.op}`);
    return response as Extract<Response, { op: O }>;
  }

  async setData(path: string, data: DataInput, version = -1): Promise<Stat> {
    return (await this.expect({ op: 'setData', path, data: toData(data), version }, 'setData')).stat;
  }

  async delete(path: string, version = -1): Promise<void> {
    await this.expect({ op: 'delete', path, version }, 'delete');
  }

  async getACL(path: string): Promise<{ acl: ACL[]; stat: Stat }> {
    const { acl, stat } = await this.expect({ op: 'getACL', path }, 'getACL');
    return { acl, stat };
  }

  async setACL(path: string, acl: ACL[], version = -1): Promise<Stat> {
    return (await this.expect({ op: 'setACL', path, acl, version }, 'setACL')).stat;
  }

  async getAllChildrenNumber(path: string): Promise<number> {
    return (await this.expect({ op: 'getAllChildrenNumber', path }, 'getAllChildrenNumber')).totalNumber;
  }

  async getEphemerals(prefixPath = '/'): Promise<string[]> {
    return (await this.expect({ op: 'getEphemerals', prefixPath }, 'getEphemerals')).paths;
  }

  /** ZooKeeper addAuth, e.g. ('digest', 'user:password'). */
  async addAuth(scheme: string, credentials: string | Uint8Array): Promise<void> {
    const bytes = typeof credentials === 'string' ? new TextEncoder().encode(credentials) : credentials;
    await this.expect({ op: 'auth', scheme, credentials: bytes }, 'auth');
  }

  async whoAmI(): Promise<WhoAmIResponse['clientInfo']> {
    return (await this.expect({ op: 'whoAmI' }, 'whoAmI')).clientInfo;
  }
}
