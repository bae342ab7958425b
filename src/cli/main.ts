#!/usr/bin/env node
// The `cairn` command.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from './args.js';
import { CLIENT_USAGE, isClientCommand, runClientCommand } from './client-commands.js';
import { ENSEMBLE_USAGE, runEnsemble } from './ensemble.js';

const SERVER_USAGE = 'usage: cairn server [--config FILE] [--data-dir DIR] [--grpc-port N] [--http-port N] [--client-port N] [--allowed-origins LIST]';

const USAGE = [
  'usage: cairn COMMAND [OPTIONS]',
  '',
  'Run servers:',
  `  ${SERVER_USAGE.replace('usage: ', '')}`,
  `  ${ENSEMBLE_USAGE.replace('usage: ', '')}`,
  '',
  'Talk to them (over gRPC; --server HOST:PORT[,HOST:PORT…], or CAIRN_SERVER; default 127.0.0.1:2182):',
  ...Object.values(CLIENT_USAGE).map((usage) => `  ${usage.replace('usage: ', '')}`),
  '',
  '  cairn --version        the version',
  '  cairn COMMAND --help   a command\'s usage',
].join('\n');

/** package.json's version (the module runs from src/ or dist/src/, so look upward). */
function version(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(directory, 'package.json');
    if (existsSync(candidate)) return (JSON.parse(readFileSync(candidate, 'utf8')) as { version: string }).version;
    const parent = dirname(directory);
    if (parent === directory) return 'unknown';
    directory = parent;
  }
}

async function runServer(argv: string[]): Promise<void> {
  // Loaded here, not at the top: the client commands start in half the time without the server.
  const [{ pino }, { loadConfig, parseServerArgs, UsageError: ConfigUsageError }, { startServer }] = await Promise.all([
    import('pino'),
    import('../server/config.js'),
    import('../main/start.js'),
  ]);
  const logger = pino({ name: 'cairn', level: process.env.CAIRN_LOG_LEVEL ?? 'info' });
  let args;
  try {
    args = parseServerArgs(argv);
  } catch (error) {
    if (error instanceof ConfigUsageError) throw new UsageError(error.message, SERVER_USAGE);
    throw error;
  }
  if (args.help === true) {
    process.stdout.write(`${SERVER_USAGE}\n`);
    return;
  }
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
      if (rest.includes('--help') || rest.includes('-h')) {
        process.stdout.write(`${ENSEMBLE_USAGE}\n`);
        return;
      }
      await runEnsemble(rest);
      return;
    case '-v':
    case '--version':
    case 'version':
      process.stdout.write(`cairn ${version()}\n`);
      return;
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return;
    case undefined:
      throw new UsageError('a command is needed', USAGE);
    default:
      if (isClientCommand(command)) {
        process.exitCode = await runClientCommand(command, rest);
        return;
      }
      throw new UsageError(`unknown command '${command}'`, USAGE);
  }
}

main(process.argv.slice(2)).then(
  () => {
    // A client command is done once it answered: its channel must not keep the process alive.
    if (isClientCommand(process.argv[2] ?? '')) process.exit(process.exitCode ?? 0);
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`cairn: ${error.message}\n${error.usage}\n`);
      process.exit(2);
    }
    process.stderr.write(`cairn: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
