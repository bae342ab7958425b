// Gathers the tests skipped for a missing system package (test/support/requirements.ts) across
// vitest's worker processes and prints one summary when the run ends.
//
// Why a global setup and files rather than a custom reporter: test files run in forked workers,
// so a skip happens in another process and has to travel; a directory per run (made here, handed
// to the workers through provide/inject, one file per worker) needs no channel of vitest's beyond
// that, and two runs at once on one machine each get their own. And a reporter named in the config
// is replaced by any --reporter on the command line, which would lose the summary silently; the
// global setup runs whatever the reporters. Its teardown runs once, in the main process, after the
// workers and the reporter's own summary, so the block is the last thing the run prints.

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { TestProject } from 'vitest/node';
import type { SkipRecord } from './requirements.js';

/** The records of every worker, in one list. */
function readRecords(directory: string): SkipRecord[] {
  const records: SkipRecord[] = [];
  for (const name of readdirSync(directory).filter((file) => file.startsWith('skips-')).sort()) {
    for (const line of readFileSync(join(directory, name), 'utf8').split('\n')) {
      if (line.trim() !== '') records.push(JSON.parse(line) as SkipRecord);
    }
  }
  return records;
}

/** One line per missing requirement: what it is, why it is missing, which files it cost, how to install it. */
function summarise(records: SkipRecord[], root: string, failed: boolean): string[] {
  const byRequirement = new Map<string, { record: SkipRecord; files: Set<string> }>();
  for (const record of records.filter((item) => item.failed === failed)) {
    const entry = byRequirement.get(record.requirement) ?? { record, files: new Set<string>() };
    entry.files.add(relative(root, record.file));
    byRequirement.set(record.requirement, entry);
  }
  return [...byRequirement.values()]
    .sort((a, b) => a.record.requirement.localeCompare(b.record.requirement))
    .map(({ record, files }) => `  ${record.requirement} (${record.missing}) — ${[...files].sort().join(', ')} — install: ${record.install}`);
}

export default function setup(project: TestProject): () => void {
  const directory = mkdtempSync(join(tmpdir(), 'cairn-requirements-'));
  project.provide('requirementsRunDirectory', directory);
  return () => {
    try {
      const records = readRecords(directory);
      const root = project.config.root;
      const skipped = summarise(records, root, false);
      const failed = summarise(records, root, true);
      const blocks: string[] = [];
      if (skipped.length > 0) {
        blocks.push(
          ['Skipped (missing system packages):', ...skipped, '  .ci/run installs them all (as root); with CI=true a missing package fails the run instead.'].join('\n'),
        );
      }
      if (failed.length > 0) blocks.push([`Failed (CI=${process.env.CI} is set and these system packages are missing):`, ...failed].join('\n'));
      if (blocks.length > 0) process.stdout.write(`\n${blocks.join('\n\n')}\n\n`);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  };
}
