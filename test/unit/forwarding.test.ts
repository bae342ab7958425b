import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeForwarded, decodeForwardReply, encodeForwarded } from '../../src/server/forwarding.js';

describe('forwarded messages', () => {
  it('keep binary fields binary, Buffers included', () => {
    const password = randomBytes(16);
    const decoded = decodeForwarded(encodeForwarded({ kind: 'createSession', sessionId: 7, cxid: 8_388_609, timeoutMs: 6000, password }));
    expect(decoded).toEqual({ kind: 'createSession', sessionId: 7, cxid: 8_388_609, timeoutMs: 6000, password: new Uint8Array(password) });
    const request = decodeForwarded(
      encodeForwarded({ kind: 'request', sessionId: 7, cxid: 1, identities: [{ scheme: 'ip', id: '127.0.0.1' }], request: { op: 'setData', path: '/a', data: new TextEncoder().encode('x'), version: -1 } }),
    );
    expect(request.kind === 'request' && request.request.op === 'setData' && request.request.data).toEqual(new TextEncoder().encode('x'));
  });

  it('refuse garbage with MarshallingError', () => {
    expect(() => decodeForwarded(new TextEncoder().encode('{'))).toThrow(/not valid JSON/);
    expect(() => decodeForwarded(new TextEncoder().encode('{"kind":"nope"}'))).toThrow(/unknown kind/);
    expect(() => decodeForwardReply(new TextEncoder().encode('{"cxid":1}'))).toThrow(/malformed/);
  });

  it('carry every kind of write exactly, in binary', () => {
    const bytes = (text: string) => new TextEncoder().encode(text);
    const acl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }, { perms: 1, id: { scheme: 'digest', id: 'u:h=' } }];
    const writes = [
      { op: 'create', path: '/a/ü', data: bytes('x'.repeat(300)), acl, mode: 2 },
      { op: 'create', path: '/ttl', data: null, acl, mode: 5, ttl: 2 ** 40 },
      { op: 'create', path: '/empty', data: new Uint8Array(0), acl: [], mode: 0 },
      { op: 'delete', path: '/a', version: -1 },
      { op: 'setData', path: '/a', data: null, version: 2_147_483_647 },
      { op: 'check', path: '/a', version: 3 },
      { op: 'setACL', path: '/a', acl, version: 0 },
      {
        op: 'multi',
        ops: [
          { op: 'check', path: '/a', version: 1 },
          { op: 'create', path: '/a/b', data: bytes('y'), acl, mode: 1 },
          { op: 'setData', path: '/a', data: bytes(''), version: -1 },
          { op: 'delete', path: '/a/c', version: 4 },
        ],
      },
      { op: 'multi', ops: [] },
    ] as const;
    for (const request of writes) {
      const message = { kind: 'request', sessionId: 2 ** 45 + 12_345, cxid: -7, identities: [{ scheme: 'ip', id: '127.0.0.1' }, { scheme: 'digest', id: 'u' }], request } as const;
      const encoded = encodeForwarded(message as never);
      expect(encoded[0]).toBe(1);
      expect(decodeForwarded(encoded)).toEqual(message);
    }
  });

  it('refuse a truncated or padded binary write', () => {
    const encoded = encodeForwarded({ kind: 'request', sessionId: 1, cxid: 1, identities: [], request: { op: 'setData', path: '/a', data: new Uint8Array(3), version: -1 } });
    for (let cut = 1; cut < encoded.length; cut++) expect(() => decodeForwarded(encoded.subarray(0, cut)), `cut at ${cut}`).toThrow(/MarshallingError|bytes|exceeds|length/i);
    expect(() => decodeForwarded(Uint8Array.from([...encoded, 0]))).toThrow(/after a forwarded write/);
    const badOp = Uint8Array.from(encoded);
    badOp[1 + 8 + 4 + 4] = 99;
    expect(() => decodeForwarded(badOp)).toThrow(/unknown kind 99/);
  });
});
