// The ensemble as ZooKeeper's configuration describes it: `server.N` lines and the `myid` file.
//
//   server.N=host:quorumPort:electionPort[:participant|:observer][;[clientHost:]clientPort]
//
// (ZooKeeper also accepts `host:port:port:type;clientPort` with the client part after `;`.)

import type { Membership, ServerId } from '../zab/types.js';

export interface ServerAddress {
  id: ServerId;
  host: string;
  quorumPort: number;
  electionPort: number;
  observer: boolean;
  /** The client (jute) port named after ';', when given. */
  clientPort?: number;
  clientHost?: string;
}

export interface Ensemble {
  self: ServerId;
  servers: Map<ServerId, ServerAddress>;
  membership: Membership;
}

export class EnsembleConfigError extends Error {}

function parsePort(text: string, what: string, line: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) throw new EnsembleConfigError(`${what} '${text}' in '${line}' is not a port (1-65535)`);
  return port;
}

/** Splits "host:port" where host may be a bracketed IPv6 address. */
function splitHostParts(text: string): string[] {
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close === -1) throw new EnsembleConfigError(`unclosed '[' in '${text}'`);
    const host = text.slice(1, close);
    const rest = text.slice(close + 1);
    return [host, ...(rest === '' ? [] : rest.replace(/^:/, '').split(':'))];
  }
  return text.split(':');
}

export function parseServerLine(id: ServerId, value: string): ServerAddress {
  const line = `server.${id}=${value}`;
  if (!Number.isInteger(id) || id < 0 || id > 255) throw new EnsembleConfigError(`server id ${id} in '${line}' must be 0-255`);
  const [peerPart, clientPart] = value.split(';', 2) as [string, string | undefined];
  const parts = splitHostParts(peerPart.trim());
  if (parts.length < 3 || parts.length > 4) throw new EnsembleConfigError(`'${line}' must look like host:quorumPort:electionPort[:participant|:observer][;clientPort]`);
  const [host, quorumText, electionText, typeText] = parts as [string, string, string, string | undefined];
  if (host === '') throw new EnsembleConfigError(`'${line}' has no host`);
  const type = (typeText ?? 'participant').toLowerCase();
  if (type !== 'participant' && type !== 'observer') throw new EnsembleConfigError(`'${line}': the server type must be participant or observer, not '${typeText}'`);
  const address: ServerAddress = {
    id,
    host,
    quorumPort: parsePort(quorumText, 'the quorum port', line),
    electionPort: parsePort(electionText, 'the election port', line),
    observer: type === 'observer',
  };
  if (clientPart !== undefined && clientPart.trim() !== '') {
    const client = splitHostParts(clientPart.trim());
    const portText = client.at(-1)!;
    address.clientPort = parsePort(portText, 'the client port', line);
    if (client.length > 1) address.clientHost = client[0]!;
  }
  return address;
}

/** The ensemble from the raw `server.N` entries and the content of `myid`. */
export function parseEnsemble(servers: ReadonlyMap<number, string>, myidText: string): Ensemble {
  const self = Number(myidText.trim());
  if (!/^\d+$/.test(myidText.trim())) throw new EnsembleConfigError(`myid must hold a server id, not '${myidText.trim()}'`);
  const addresses = new Map<ServerId, ServerAddress>();
  for (const [id, value] of servers) addresses.set(id, parseServerLine(id, value));
  if (!addresses.has(self)) throw new EnsembleConfigError(`myid ${self} has no server.${self} line`);
  const voters = [...addresses.values()].filter((server) => !server.observer).map((server) => server.id).sort((a, b) => a - b);
  const observers = [...addresses.values()].filter((server) => server.observer).map((server) => server.id).sort((a, b) => a - b);
  if (voters.length === 0) throw new EnsembleConfigError('an ensemble needs at least one participant');
  const endpoints = new Set<string>();
  for (const server of addresses.values()) {
    for (const port of [server.quorumPort, server.electionPort]) {
      const endpoint = `${server.host}:${port}`;
      if (endpoints.has(endpoint)) throw new EnsembleConfigError(`${endpoint} is used twice in the server.N lines`);
      endpoints.add(endpoint);
    }
  }
  return { self, servers: addresses, membership: { voters, observers } };
}
