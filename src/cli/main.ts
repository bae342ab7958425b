#!/usr/bin/env node
// The `cairn` command.

import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { loadConfig, parseServerArgs } from '../server/config.js';
import { startServer } from '../main/start.js';
import { ENSEMBLE_USAGE, runEnsemble } from './ensemble.js';

const USAGE = `usage: cairn server [--config FILE] [--data-dir DIR] [--grpc-port N] [--http-port N] [--client-port N] [--allowed-origins LIST]\n       ${ENSEMBLE_USAGE.replace('usage: ', '')}`;

async function runServer(argv: string[]): Promise<void> {
  const logger = pino({ name: 'cairn', level: process.env.CAIRN_LOG_LEVEL ?? 'info' });
  const args = parseServerArgs(argv);
  const configText = args.config === undefined ? undefined : readFileSync(args.config, 'utf8');
  const { config, warnings } = loadConfig({ configFile: configText, flags: args });
  for (const warning of warnings) logger.warn(warning);
  const server = await startServer(config, logger);
  let signalled = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = true;
    logger.info({ signal }, 'shutting down');
    server.stop().then(
      () => process.exit(0),
      (error) => {
        logger.fatal({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'server':
      await runServer(rest);
      return;
    case 'ensemble':
      await runEnsemble(rest);
      return;
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return;
    default:
      process.stderr.write(`cairn: unknown command '${command}'\n${USAGE}\n`);
      process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`cairn: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
