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
});
