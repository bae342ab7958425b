// Shared pieces of the HTTP integration tests: requests with fetch, an SSE reader that records
// events in arrival order, and a WebSocket session client speaking the protobuf JSON mapping.

import { request as httpRequest, type IncomingMessage } from 'node:http';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { waitFor } from './harness.js';

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export async function call(base: string, method: string, path: string, init: { body?: string | Uint8Array; headers?: Record<string, string> } = {}): Promise<HttpAnswer> {
  const response = await fetch(`${base}${path}`, { method, body: init.body as BodyInit | undefined, headers: init.headers });
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

export function jsonBody(body: unknown): { body: string; headers: Record<string, string> } {
  return { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } };
}

export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

export interface SseEvent {
  event: string;
  id: string | undefined;
  data: any;
}

/** An SSE stream read with node:http (so that the test controls reading and headers). */
export class SseReader {
  readonly events: SseEvent[] = [];
  status = 0;
  ended = false;
  private buffer = '';
  private response: IncomingMessage | undefined;
  private request;

  constructor(url: string, headers: Record<string, string> = {}) {
    this.request = httpRequest(url, { headers: { Accept: 'text/event-stream', ...headers } }, (response) => {
      this.response = response;
      this.status = response.statusCode ?? 0;
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => this.onChunk(chunk));
      response.on('end', () => (this.ended = true));
      response.on('close', () => (this.ended = true));
    });
    this.request.on('error', () => (this.ended = true));
    this.request.end();
  }

  private onChunk(chunk: string): void {
    this.buffer += chunk;
    let boundary = this.buffer.indexOf('\n\n');
    while (boundary >= 0) {
      const block = this.buffer.slice(0, boundary);
      this.buffer = this.buffer.slice(boundary + 2);
      boundary = this.buffer.indexOf('\n\n');
      let event = 'message';
      let id: string | undefined;
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('id: ')) id = line.slice(4);
        else if (line.startsWith('data: ')) data += line.slice(6);
      }
      if (data !== '') this.events.push({ event, id, data: JSON.parse(data) });
    }
  }

  /** The last id seen, as EventSource keeps it. */
  get lastEventId(): string | undefined {
    let last: string | undefined;
    for (const event of this.events) if (event.id !== undefined) last = event.id;
    return last;
  }

  async waitFor(match: (event: SseEvent) => boolean, what: string, timeoutMs = 15_000): Promise<SseEvent> {
    let found: SseEvent | undefined;
    await waitFor(() => (found = this.events.find(match)) !== undefined, timeoutMs, what);
    return found as SseEvent;
  }

  close(): void {
    this.request.destroy();
    this.response?.destroy();
  }
}

/** A WebSocket session client: xids, responses by xid, events in order. */
export class WsSession {
  readonly messages: any[] = [];
  readonly events: any[] = [];
  closeCode: number | undefined;
  closeReason = '';
  private nextXid = 1;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString());
      this.messages.push(message);
      if (message.event !== undefined) this.events.push(message.event);
    });
    socket.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
    });
  }

  /** Opens the channel; `tls` (CA, client key and certificate) for a wss:// URL. */
  static async open(url: string, headers: Record<string, string> = {}, tls: { ca?: Buffer; key?: Buffer; cert?: Buffer } = {}): Promise<WsSession> {
    const socket = new WebSocket(url, 'cairn.v1.json', { headers, ...tls });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return new WsSession(socket);
  }

  send(message: unknown): void {
    this.socket.send(JSON.stringify(message));
  }

  async connect(timeoutMs = 10_000): Promise<any> {
    this.send({ connect: { timeoutMs } });
    await waitFor(() => this.messages.some((message) => message.connected !== undefined), 10_000, 'connected');
    return this.messages.find((message) => message.connected !== undefined).connected;
  }

  /** Sends a request (the `op` oneof member and its message) and waits for its response. */
  async request(op: Record<string, unknown>): Promise<any> {
    const xid = this.nextXid++;
    this.send({ request: { xid: String(xid), ...op } });
    let response: any;
    await waitFor(() => (response = this.messages.find((message) => message.response?.xid === String(xid))?.response) !== undefined, 10_000, `response ${xid}`);
    return response;
  }

  close(): void {
    this.socket.close();
  }
}
