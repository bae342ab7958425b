// Browsers on the HTTP port: which web pages may use it, and CORS for the ones that may.
//
// A page's own origin may always use the port (the web console, /docs). Other origins may only
// when `http.allowedOrigins` lists them (or is "*"). A request whose Origin is neither is refused
// with 403 before it reaches a handler, whatever its method and content type: a cross-site form
// POST or text/plain fetch, which a browser sends without asking first, creates nothing, and a
// WebSocket upgrade from such a page is refused. A request without an Origin header (curl, SDKs,
// any non-browser client) is not a browser's cross-site request and is served as before, except a
// state-changing one whose browser says it is cross-site (Sec-Fetch-Site: cross-site or
// same-site).
//
// Same-origin is judged by the browser's headers: the Origin's host and port equal the Host header
// the request came with (the default port of the Origin's scheme may be left out of either; the
// scheme is not compared, so a TLS proxy in front keeps working), or the browser says so with
// `Sec-Fetch-Site: same-origin` (a proxy that rewrites Host keeps working too). Both headers are
// set by the browser; a page cannot forge them.
//
// Allowed origins get CORS: preflights (OPTIONS) are answered with the methods and headers the API
// takes, and every answer names the origin in Access-Control-Allow-Origin and exposes the headers
// the API returns (Cairn-Zxid, Cairn-Stat, Cairn-Data-Null, Location). Other origins get no CORS
// headers at all. Credentials are sent explicitly (Authorization: Basic) rather than as cookies,
// so Access-Control-Allow-Credentials is never sent.

import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { HttpRefusal } from './problem.js';

export const CORS_ALLOWED_METHODS = 'GET, HEAD, POST, PUT, DELETE, OPTIONS';
export const CORS_ALLOWED_HEADERS = 'Authorization, Content-Type, Accept, Cairn-Session, Last-Event-ID';
export const CORS_EXPOSED_HEADERS = 'Cairn-Zxid, Cairn-Stat, Cairn-Data-Null, Location';
/** How long a browser may reuse a preflight's answer. */
export const CORS_MAX_AGE_SECONDS = 600;

const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

export type OriginVerdict =
  /** No Origin header: not a browser's cross-origin request. */
  | { kind: 'none'; crossSite: boolean }
  /** The page is the server's own. */
  | { kind: 'same'; origin: string }
  /** Another origin that http.allowedOrigins lists. */
  | { kind: 'allowed'; origin: string }
  /** Another origin, not listed. */
  | { kind: 'refused'; origin: string };

export class OriginPolicy {
  private readonly anyOrigin: boolean;
  private readonly allowed: ReadonlySet<string>;

  constructor(allowedOrigins: readonly string[]) {
    this.anyOrigin = allowedOrigins.includes('*');
    this.allowed = new Set(allowedOrigins.map((origin) => origin.toLowerCase()));
  }

  judge(headers: IncomingHttpHeaders): OriginVerdict {
    const origin = headers.origin;
    const fetchSite = headerValue(headers['sec-fetch-site'])?.toLowerCase();
    if (origin === undefined || origin === '') return { kind: 'none', crossSite: fetchSite === 'cross-site' || fetchSite === 'same-site' };
    const normalized = origin.toLowerCase();
    if (this.anyOrigin || this.allowed.has(normalized)) return { kind: 'allowed', origin };
    if (fetchSite === 'same-origin' || sameHost(normalized, headerValue(headers.host))) return { kind: 'same', origin };
    return { kind: 'refused', origin };
  }

  /** The refusal for a request or upgrade, or null when it may go on. */
  refusal(method: string, headers: IncomingHttpHeaders, verdict: OriginVerdict = this.judge(headers)): HttpRefusal | null {
    if (verdict.kind === 'refused') {
      return new HttpRefusal('CrossOrigin', `a page from ${verdict.origin} may not use this server: that origin is neither this server's own nor in http.allowedOrigins`);
    }
    if (verdict.kind === 'none' && verdict.crossSite && !SAFE_METHODS.has(method.toUpperCase())) {
      return new HttpRefusal('CrossOrigin', 'a cross-site browser request without an Origin may not change anything on this server');
    }
    return null;
  }
}

/** The CORS headers every answer to an allowed origin carries (set on the raw response, so streams keep them). */
export function addCorsHeaders(response: ServerResponse, verdict: OriginVerdict): void {
  response.setHeader('Vary', 'Origin');
  if (verdict.kind !== 'allowed') return;
  response.setHeader('Access-Control-Allow-Origin', verdict.origin);
  response.setHeader('Access-Control-Expose-Headers', CORS_EXPOSED_HEADERS);
}

/** The headers of an answered preflight. */
export function preflightHeaders(): Record<string, string> {
  return {
    'Access-Control-Allow-Methods': CORS_ALLOWED_METHODS,
    'Access-Control-Allow-Headers': CORS_ALLOWED_HEADERS,
    'Access-Control-Max-Age': String(CORS_MAX_AGE_SECONDS),
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

const DEFAULT_PORTS: Readonly<Record<string, string>> = { 'http:': '80', 'https:': '443', 'ws:': '80', 'wss:': '443' };

/** Whether the Origin names the host and port the request was sent to. */
function sameHost(origin: string, host: string | undefined): boolean {
  if (host === undefined || host === '') return false;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // "null" (a sandboxed page, a file) is nobody's origin
  }
  const defaultPort = DEFAULT_PORTS[url.protocol];
  if (defaultPort === undefined) return false;
  const withPort = (hostname: string, port: string) => `${hostname}:${port === '' ? defaultPort : port}`;
  let target: URL;
  try {
    target = new URL(`${url.protocol}//${host}`);
  } catch {
    return false;
  }
  return withPort(url.hostname, url.port) === withPort(target.hostname, target.port);
}
