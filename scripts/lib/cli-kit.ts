/**
 * The project's one way to build a command-line tool: help is data (a usage line, one sentence per
 * flag), unknown input prints help and exits 2, errors go to stderr without a stack trace unless
 * `--verbose`. Used by every CLI in scripts/, scoring/, generators/ and agent/.
 */
import { parseArgs } from 'node:util';
import { type DataIssue, formatIssue } from '../../scoring/issues.ts';

export interface FlagSpec {
  type: 'string' | 'boolean';
  /** One sentence for `--help`. */
  description: string;
  /** Placeholder shown in help, e.g. `<dir>`. */
  value?: string;
  short?: string;
  multiple?: boolean;
  default?: string;
}

export interface CliSpec {
  name: string;
  /** e.g. `npm run score -- [options]` */
  usage: string;
  summary: string;
  flags: Record<string, FlagSpec>;
  /** Extra help lines (examples, exit codes). */
  epilog?: string[];
  allowPositionals?: boolean;
}

export const EXIT = { ok: 0, checksFailed: 1, usage: 2 } as const;

/** Thrown for bad command-line input; `runCli` prints it with the help and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

const COMMON_FLAGS: Record<string, FlagSpec> = {
  help: { type: 'boolean', short: 'h', description: 'Show this help and exit.' },
  verbose: { type: 'boolean', description: 'Print stack traces and extra detail on errors.' },
};

export function renderHelp(spec: CliSpec): string {
  const flags = { ...spec.flags, ...COMMON_FLAGS };
  const left = Object.entries(flags).map(([name, f]) => {
    const short = f.short ? `-${f.short}, ` : '    ';
    const value = f.type === 'string' ? ` ${f.value ?? '<value>'}` : '';
    return `  ${short}--${name}${value}`;
  });
  const width = Math.max(...left.map((l) => l.length)) + 2;
  const lines = Object.values(flags).map((f, i) => {
    const def = f.default !== undefined ? ` (default: ${f.default})` : '';
    return `${(left[i] ?? '').padEnd(width)}${f.description}${def}`;
  });
  return [
    `Usage: ${spec.usage}`,
    '',
    spec.summary,
    '',
    'Options:',
    ...lines,
    ...(spec.epilog ? ['', ...spec.epilog] : []),
  ].join('\n');
}

export interface ParsedCli {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** Parses argv against the spec; throws UsageError on unknown flags or stray arguments. */
export function parseCli(spec: CliSpec, argv: readonly string[]): ParsedCli {
  const flags = { ...spec.flags, ...COMMON_FLAGS };
  const options = Object.fromEntries(
    Object.entries(flags).map(([name, f]) => [
      name,
      {
        type: f.type,
        ...(f.short ? { short: f.short } : {}),
        ...(f.multiple ? { multiple: true } : {}),
      },
    ]),
  );
  // node:util parseArgs takes "-5" after a string flag for a flag of its own; a negative number is
  // a value, which the command then range-checks with its own message.
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const next = argv[i + 1];
    const flag = arg.startsWith('--') ? flags[arg.slice(2)] : undefined;
    if (flag?.type === 'string' && next !== undefined && /^-\.?\d/.test(next)) {
      args.push(`${arg}=${next}`);
      i++;
    } else args.push(arg);
  }
  try {
    const { values, positionals } = parseArgs({
      args,
      options,
      strict: true,
      allowPositionals: spec.allowPositionals ?? false,
    });
    return { values: values as ParsedCli['values'], positionals };
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/**
 * Runs a command's main function with the house conventions: `--help`, usage errors → exit 2,
 * other errors → message on stderr and exit 1 (stack only with --verbose).
 */
export async function runCli(
  spec: CliSpec,
  argv: readonly string[],
  main: (cli: ParsedCli, io: CliIo) => Promise<number>,
  io: CliIo = processIo,
): Promise<number> {
  let cli: ParsedCli;
  try {
    cli = parseCli(spec, argv);
  } catch (error) {
    io.stderr(`${(error as Error).message}\n\n${renderHelp(spec)}\n`);
    return EXIT.usage;
  }
  if (cli.values.help) {
    io.stdout(`${renderHelp(spec)}\n`);
    return EXIT.ok;
  }
  try {
    return await main(cli, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`${error.message}\n\n${renderHelp(spec)}\n`);
      return EXIT.usage;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`${message}\n`);
    if (cli.values.verbose && error instanceof Error && error.stack) io.stderr(`${error.stack}\n`);
    return EXIT.checksFailed;
  }
}

/** Reads a string flag, checking it against allowed values. */
export function stringFlag(
  cli: ParsedCli,
  name: string,
  allowed?: readonly string[],
): string | undefined {
  const value = cli.values[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new UsageError(`--${name} takes one value.`);
  if (allowed && !allowed.includes(value)) {
    throw new UsageError(`--${name} must be one of ${allowed.join(', ')}; received "${value}".`);
  }
  return value;
}

/** Prints a one-line heading and every data issue under it, one per line, on stderr. */
export function printIssues(io: CliIo, heading: string, issues: readonly DataIssue[]): void {
  io.stderr(`${heading}\n${issues.map((issue) => `  - ${formatIssue(issue)}\n`).join('')}`);
}
