// Argument parsing shared by the `cairn` commands: flags before operands, `--flag value` or
// `--flag=value`, single-letter switches that may be grouped (-sw), and `--` ending the options
// (what follows is a command to run). A mistake is a UsageError: the command exits 2 with the usage.

export class UsageError extends Error {
  constructor(
    message: string,
    /** The usage text of the command that was misused. */
    readonly usage: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface FlagSpec {
  /** Flags that take a value: --server, -v, -t ... */
  values?: readonly string[];
  /** Flags that stand alone: -s, -w, -R, --json ... */
  switches?: readonly string[];
}

export interface Parsed {
  values: Map<string, string>;
  switches: Set<string>;
  operands: string[];
  /** After `--`: a command and its arguments. */
  rest: string[];
}

export function parseArgs(argv: readonly string[], spec: FlagSpec, usage: string): Parsed {
  const values = new Map<string, string>();
  const switches = new Set<string>();
  const operands: string[] = [];
  const valueFlags = new Set(spec.values ?? []);
  const switchFlags = new Set(spec.switches ?? []);
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    if (arg === '--') return { values, switches, operands, rest: argv.slice(index + 1) };
    if (arg.startsWith('--')) {
      const equals = arg.indexOf('=');
      const name = equals < 0 ? arg : arg.slice(0, equals);
      if (switchFlags.has(name) && equals < 0) {
        switches.add(name);
        continue;
      }
      if (!valueFlags.has(name)) throw new UsageError(`unknown option ${name}`, usage);
      const value = equals < 0 ? argv[++index] : arg.slice(equals + 1);
      if (value === undefined || value === '') throw new UsageError(`${name} needs a value`, usage);
      values.set(name, value);
      continue;
    }
    if (arg.length > 1 && arg.startsWith('-') && !/^-\d/.test(arg)) {
      // -s, -sw (grouped switches), -v 3, -v3
      for (let at = 1; at < arg.length; at++) {
        const name = `-${arg[at]}`;
        if (switchFlags.has(name)) {
          switches.add(name);
          continue;
        }
        if (!valueFlags.has(name)) throw new UsageError(`unknown option ${name}`, usage);
        const value = at + 1 < arg.length ? arg.slice(at + 1) : argv[++index];
        if (value === undefined) throw new UsageError(`${name} needs a value`, usage);
        values.set(name, value);
        break;
      }
      continue;
    }
    operands.push(arg);
  }
  return { values, switches, operands, rest: [] };
}

/** Exactly `count` operands (or between `count` and `max`), else a UsageError. */
export function operandsOf(parsed: Parsed, count: number, usage: string, max = count): string[] {
  if (parsed.operands.length < count || parsed.operands.length > max) {
    throw new UsageError(parsed.operands.length < count ? 'missing arguments' : `unexpected argument ${parsed.operands[max]}`, usage);
  }
  return parsed.operands;
}

export function integerValue(parsed: Parsed, flag: string, usage: string): number | undefined {
  const text = parsed.values.get(flag);
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text)) throw new UsageError(`${flag} must be an integer, not ${text}`, usage);
  return Number(text);
}
