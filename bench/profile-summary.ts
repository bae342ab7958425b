// Summarizes a V8 .cpuprofile (from `node --cpu-prof`): self time by function and by file, and
// inclusive time of the functions that matter most.
//
//   node dist/bench/profile-summary.js PROFILE.cpuprofile [--top 25] [--match SUBSTRING]
//
// --match restricts the inclusive listing to functions whose name or file contains SUBSTRING.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { table } from './lib.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  args: process.argv.slice(2),
  options: { top: { type: 'string', default: '25' }, match: { type: 'string' } },
  allowPositionals: true,
});
if (positionals.length !== 1) {
  process.stderr.write('usage: profile-summary PROFILE.cpuprofile [--top N] [--match SUBSTRING]\n');
  process.exit(2);
}
const top = Number(values.top);
const profile = JSON.parse(readFileSync(positionals[0]!, 'utf8')) as Profile;

const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

const selfMicros = new Map<number, number>();
profile.samples.forEach((id, index) => selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));
const totalMicros = profile.endTime - profile.startTime;

function shortUrl(url: string): string {
  const cut = url.lastIndexOf('/dist/');
  if (cut >= 0) return url.slice(cut + 6);
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) return url.slice(modules + 13);
  return url.replace(/^node:/, 'node:');
}

function label(node: ProfileNode): string {
  const name = node.callFrame.functionName || '(anonymous)';
  const url = shortUrl(node.callFrame.url);
  return url === '' ? name : `${name} ${url}:${node.callFrame.lineNumber + 1}`;
}

function fileOf(node: ProfileNode): string {
  const url = shortUrl(node.callFrame.url);
  if (url === '') return node.callFrame.functionName; // (garbage collector), (program), (idle)
  const slash = url.indexOf('/');
  return url.startsWith('@') || !url.includes('src/') ? url.slice(0, slash < 0 ? undefined : url.indexOf('/', url.startsWith('@') ? slash + 1 : 0)) || url : url;
}

const selfByFunction = new Map<string, number>();
const selfByFile = new Map<string, number>();
const inclusive = new Map<string, number>();
for (const [id, micros] of selfMicros) {
  const node = byId.get(id)!;
  selfByFunction.set(label(node), (selfByFunction.get(label(node)) ?? 0) + micros);
  selfByFile.set(fileOf(node), (selfByFile.get(fileOf(node)) ?? 0) + micros);
  // Inclusive: once per distinct label on the stack.
  const seen = new Set<string>();
  for (let current: number | undefined = id; current !== undefined; current = parent.get(current)) {
    const name = label(byId.get(current)!);
    if (seen.has(name)) continue;
    seen.add(name);
    inclusive.set(name, (inclusive.get(name) ?? 0) + micros);
  }
}

const percent = (micros: number) => `${((micros / totalMicros) * 100).toFixed(1)}%  ${(micros / 1000).toFixed(0)} ms`;
const ranked = (map: Map<string, number>, filter: (name: string) => boolean = () => true) =>
  [...map.entries()]
    .filter(([name]) => filter(name))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, micros]): [string, string] => [name, percent(micros)]);

process.stdout.write(`profile ${positionals[0]}: ${(totalMicros / 1e6).toFixed(2)} s, ${profile.samples.length} samples\n`);
process.stdout.write(`\nself time by file or package\n${table(ranked(selfByFile))}\n`);
process.stdout.write(`\nself time by function\n${table(ranked(selfByFunction))}\n`);
const match = values.match;
process.stdout.write(
  `\ninclusive time${match === undefined ? '' : ` (matching ${match})`}\n${table(ranked(inclusive, (name) => match === undefined || name.includes(match)))}\n`,
);
