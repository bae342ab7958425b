// What the example programs share: `--server HOST:PORT[,…]` (or CAIRN_SERVER), the operands, and
// a clean exit on SIGINT/SIGTERM that closes the session first (its ephemerals go at once).

import { connect } from '../node.js';
import type { Cairn } from '../sdk.js';

export interface ExampleArgs {
  servers: string;
  operands: string[];
}

export function exampleArgs(argv: string[] = process.argv.slice(2)): ExampleArgs {
  const operands: string[] = [];
  let servers = process.env.CAIRN_SERVER ?? '127.0.0.1:2182';
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    if (arg === '--server') servers = argv[++index] ?? servers;
    else if (arg.startsWith('--server=')) servers = arg.slice('--server='.length);
    else operands.push(arg);
  }
  return { servers, operands };
}

/** Connects, runs `body`, and closes the session on return, SIGINT or SIGTERM. */
export async function runExample(usage: string, minOperands: number, body: (client: Cairn, operands: string[]) => Promise<void>): Promise<void> {
  const { servers, operands } = exampleArgs();
  if (operands.length < minOperands) {
    process.stderr.write(`${usage}\n`);
    process.exit(2);
  }
  const client = await connect({ servers, sessionTimeoutMs: Number(process.env.CAIRN_SESSION_TIMEOUT_MS ?? 10_000) });
  const stop = () => void client.close().finally(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await body(client, operands);
  } finally {
    await client.close();
  }
}

/** One line of output, flushed (the tests read it as it comes). */
export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

export function forever(): Promise<never> {
  return new Promise(() => undefined);
}
