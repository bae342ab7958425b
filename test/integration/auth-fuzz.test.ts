// Malformed, huge and unknown credentials against a real `cairn server` on every facade that takes
// them in a header or a message: HTTP `Authorization`, gRPC `authorization` metadata, the WebSocket
// upgrade's header and its auth request. Each answer is a clear refusal (AuthFailed) or, for the
// well-formed ones, the digest identity; nothing else happens, and the server keeps serving.
// Inputs come from a seeded generator, so a failure names the input that caused it.

import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawClient } from './grpc-helpers.js';
import { removeDir, startServerProcess, type ServerProcess } from './harness.js';
import { WsSession } from './http-helpers.js';

/** xorshift32: the same inputs in every run. */
function generator(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 2 ** 32;
  };
}

const CASES = 120;

/**
 * An Authorization value: well-formed Basic, blank (no credentials at all), Basic gone wrong in one
 * of many ways, or another scheme.
 */
function credentials(random: () => number): { header: string; wellFormed: boolean } {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const text = (length: number) => Array.from({ length }, () => String.fromCharCode(32 + Math.floor(random() * 95))).join('');
  const bytes = (length: number) => Buffer.from(Array.from({ length }, () => Math.floor(random() * 256)));
  const base64 = (value: string | Buffer) => Buffer.from(value).toString('base64');
  switch (Math.floor(random() * 10)) {
    case 0:
      return { header: `Basic ${base64(`user${Math.floor(random() * 1000)}:${text(1 + Math.floor(random() * 20)).replace(/\s/g, '_')}`)}`, wellFormed: true };
    case 1:
      return { header: `Basic ${base64(text(1 + Math.floor(random() * 30)).replace(/:/g, ''))}`, wellFormed: false }; // no colon
    case 2:
      return { header: `Basic ${base64(`:${text(5)}`)}`, wellFormed: false }; // empty user
    case 3:
      return { header: `Basic ${base64(bytes(1 + Math.floor(random() * 40)))}`, wellFormed: false }; // not UTF-8 (mostly)
    case 4:
      return { header: `Basic ${text(1 + Math.floor(random() * 40)).replace(/[A-Za-z0-9+/=]/g, '*')}`, wellFormed: false }; // not base64
    case 5:
      return { header: `${pick(['Bearer', 'Digest', 'Negotiate', 'basicc', 'X509'])} ${base64(text(12))}`, wellFormed: false };
    case 6:
      return { header: pick(['Basic', 'Basic ', 'basic\t']), wellFormed: false };
    case 7:
      // Huge: 64 KiB of credentials, past HTTP's header limit (16 KiB: 431) and gRPC's metadata limit.
      return { header: `Basic ${base64(`huge:${'x'.repeat(48 * 1024)}`)}`, wellFormed: true };
    case 8:
      return { header: `Basic ${base64(`user:${text(8)}`)}${pick(['==', '!', ' junk'])}`, wellFormed: false };
    default:
      return { header: `bAsIc ${base64('mixed:case')}`, wellFormed: true };
  }
}

let server: ServerProcess;
let base: string;

beforeAll(async () => {
  server = await startServerProcess();
  base = `http://127.0.0.1:${server.httpPort}`;
});

afterAll(async () => {
  await server?.stop();
  if (server !== undefined) await removeDir(server.dataDir);
});

describe('credentials fuzz', () => {
  it(`HTTP: ${CASES} Authorization values each answer 200 with the digest identity or 401 AuthFailed`, async () => {
    const random = generator(11);
    for (let index = 0; index < CASES; index++) {
      const { header, wellFormed } = credentials(random);
      const response = await fetch(`${base}/v1/whoami`, { headers: { authorization: header } });
      const text = await response.text();
      const body = (text === '' ? {} : JSON.parse(text)) as { clientInfo?: { authScheme: string }[]; name?: string };
      const label = `case ${index}: ${JSON.stringify(header.slice(0, 60))}`;
      if (header.length > 16 * 1024) {
        expect(response.status, label).toBe(431);
        continue;
      }
      if (response.status === 200) {
        expect(wellFormed, label).toBe(true);
        expect(body.clientInfo!.map((info) => info.authScheme), label).toContain('digest');
      } else {
        expect([response.status, body.name], label).toEqual([401, 'AuthFailed']);
      }
    }
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  }, 120_000);

  it(`gRPC: ${CASES} authorization metadata values each answer OK or UNAUTHENTICATED (or RESOURCE_EXHAUSTED past the metadata limit)`, async () => {
    const random = generator(23);
    const client = rawClient(server.grpcAddress);
    type Exists = (argument: unknown, metadata: grpc.Metadata, callback: (error: grpc.ServiceError | null) => void) => void;
    try {
      for (let index = 0; index < CASES; index++) {
        const { header, wellFormed } = credentials(random);
        const metadata = new grpc.Metadata();
        try {
          metadata.set('authorization', header);
        } catch {
          continue; // a value gRPC itself will not send (a control character)
        }
        const code = await new Promise<grpc.status>((resolve) => (client as unknown as { Exists: Exists }).Exists({ path: '/' }, metadata, (error) => resolve(error === null ? grpc.status.OK : error.code)));
        const label = `case ${index}: ${JSON.stringify(header.slice(0, 60))}`;
        // Metadata over the transport's limit never reaches the server; a trimmed value is not ours to judge.
        if (header.length > 16 * 1024) expect([grpc.status.OK, grpc.status.RESOURCE_EXHAUSTED, grpc.status.INTERNAL], label).toContain(code);
        // HTTP/2 header values carry no surrounding whitespace: the client trims "Basic " to what reaches us, or drops it.
        else if (header !== header.trim()) expect([grpc.status.OK, grpc.status.UNAUTHENTICATED], label).toContain(code);
        else if (code === grpc.status.OK) expect(wellFormed, label).toBe(true);
        else expect(code, label).toBe(grpc.status.UNAUTHENTICATED);
      }
      const healthy = await new Promise<grpc.status>((resolve) => (client as unknown as { Exists: Exists }).Exists({ path: '/' }, new grpc.Metadata(), (error) => resolve(error === null ? grpc.status.OK : error.code)));
      expect(healthy).toBe(grpc.status.OK);
    } finally {
      client.close();
    }
  }, 120_000);

  it('WebSocket: a malformed upgrade header is refused with 401; auth requests with unknown schemes or bad credentials answer AuthFailed and the channel goes on', async () => {
    const random = generator(37);
    const url = `ws://127.0.0.1:${server.httpPort}/v1/ws`;
    for (let index = 0; index < 20; index++) {
      const { header, wellFormed } = credentials(random);
      if (header.length > 16 * 1024) continue;
      const outcome = await WsSession.open(url, { authorization: header }).then(
        (session) => {
          session.close();
          return 'open';
        },
        (error: Error) => error.message,
      );
      const label = `case ${index}: ${JSON.stringify(header.slice(0, 60))}`;
      if (wellFormed) expect(outcome, label).toBe('open');
      else expect(outcome, label).toMatch(/401/);
    }
    // Blank is no credentials at all, on every facade.
    expect((await fetch(`${base}/v1/whoami`, { headers: { authorization: '  ' } })).status).toBe(200);
    const session = await WsSession.open(url);
    try {
      await session.connect();
      for (const [scheme, text] of [['digest', 'no-colon'], ['digest', ':empty-user'], ['sasl', 'x'], ['', ''], ['x509', 'CN=me']] as const) {
        const answer = await session.request({ auth: { scheme, credentials: Buffer.from(text).toString('base64') } });
        expect(answer.error?.name ?? answer, `${scheme}:${text}`).toBe('AuthFailed');
      }
      const ok = await session.request({ auth: { scheme: 'digest', credentials: Buffer.from('alice:secret').toString('base64') } });
      expect(ok.error).toBeUndefined();
      const who = await session.request({ whoAmI: {} });
      expect(who.whoAmI.clientInfo).toContainEqual({ authScheme: 'digest', user: 'alice' });
    } finally {
      session.close();
    }
  }, 120_000);
});
