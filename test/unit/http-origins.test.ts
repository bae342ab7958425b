// Which browser requests the HTTP port refuses: the origin rules of src/api/http/origins.ts and
// the one decision, shared by both ports, of which admin commands run (src/api/admin-policy.ts).

import { describe, expect, it } from 'vitest';
import { fourLetterWordEnabled, httpCommandAccess } from '../../src/api/admin-policy.js';
import { OriginPolicy } from '../../src/api/http/origins.js';

describe('origins', () => {
  const policy = new OriginPolicy(['https://console.example.com']);

  it('judges same-origin by the Host the request came to, with default ports left out or not', () => {
    expect(policy.judge({ origin: 'http://cairn.example:8181', host: 'cairn.example:8181' }).kind).toBe('same');
    expect(policy.judge({ origin: 'http://cairn.example', host: 'cairn.example:80' }).kind).toBe('same');
    expect(policy.judge({ origin: 'https://cairn.example', host: 'cairn.example' }).kind).toBe('same');
    expect(policy.judge({ origin: 'HTTP://Cairn.Example:8181', host: 'cairn.example:8181' }).kind).toBe('same');
    expect(policy.judge({ origin: 'http://cairn.example:8182', host: 'cairn.example:8181' }).kind).toBe('refused');
    expect(policy.judge({ origin: 'http://cairn.example.evil.example', host: 'cairn.example' }).kind).toBe('refused');
    expect(policy.judge({ origin: 'http://[::1]:8181', host: '[::1]:8181' }).kind).toBe('same');
    expect(policy.judge({ origin: 'null', host: 'cairn.example' }).kind).toBe('refused');
  });

  it('believes a browser that says same-origin, and lists allowed origins exactly', () => {
    expect(policy.judge({ origin: 'https://cairn.example', host: '10.0.0.5:8181', 'sec-fetch-site': 'same-origin' }).kind).toBe('same');
    expect(policy.judge({ origin: 'https://console.example.com', host: 'cairn.example' }).kind).toBe('allowed');
    expect(policy.judge({ origin: 'https://console.example.com:8443', host: 'cairn.example' }).kind).toBe('refused');
    expect(new OriginPolicy(['*']).judge({ origin: 'http://anything.example', host: 'cairn.example' }).kind).toBe('allowed');
  });

  it('refuses every request of a foreign origin, and writes a browser marks cross-site', () => {
    expect(policy.refusal('GET', { origin: 'http://evil.example', host: 'cairn.example' })).not.toBeNull();
    expect(policy.refusal('POST', { host: 'cairn.example' })).toBeNull();
    expect(policy.refusal('GET', { host: 'cairn.example', 'sec-fetch-site': 'cross-site' })).toBeNull();
    expect(policy.refusal('POST', { host: 'cairn.example', 'sec-fetch-site': 'cross-site' })?.status).toBe(403);
    expect(policy.refusal('DELETE', { host: 'cairn.example', 'sec-fetch-site': 'same-site' })?.status).toBe(403);
    expect(policy.refusal('PUT', { host: 'cairn.example', 'sec-fetch-site': 'none' })).toBeNull();
  });
});

describe('admin command policy', () => {
  it('gates both ports by the whitelist, srvr always on, and keeps words that need credentials off the client port', () => {
    const policy = { whitelist: ['mntr', 'dump'], authRequired: ['dump'] };
    expect(httpCommandAccess(policy, 'srvr')).toBe('open');
    expect(httpCommandAccess(policy, 'mntr')).toBe('open');
    expect(httpCommandAccess(policy, 'dump')).toBe('authenticated');
    expect(httpCommandAccess(policy, 'envi')).toBe('disabled');
    expect(fourLetterWordEnabled(policy, 'mntr')).toBe(true);
    expect(fourLetterWordEnabled(policy, 'dump')).toBe(false);
    expect(fourLetterWordEnabled(policy, 'envi')).toBe(false);
    expect(httpCommandAccess({ whitelist: ['*'], authRequired: ['*'] }, 'envi')).toBe('authenticated');
    expect(fourLetterWordEnabled({ whitelist: ['*'], authRequired: [] }, 'envi')).toBe(true);
  });
});
