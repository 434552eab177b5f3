/**
 * One table per command drives three things that must never disagree:
 * argument parsing (through mri, which starts fast), `--help`, and the
 * SYNOPSIS and OPTIONS sections of the command's man page (scripts/gen-man.ts).
 */
import mri from 'mri';

export type OptionType = 'flag' | 'string' | 'number' | 'list';

export interface OptionSpec {
  /** Long name without dashes; flags named `no-x` also accept mri's negation `--no-x`. */
  long: string;
  short?: string;
  type: OptionType;
  /** Placeholder shown in help for options that take a value. */
  arg?: string;
  /** Default shown in help and the man page (the command applies it). */
  default?: string | number;
  /** Allowed values, checked by the parser. */
  choices?: readonly string[];
  /** Smallest accepted value of a number option. */
  min?: number;
  /** One line for `--help`. */
  help: string;
  /** More for the man page (roff-free plain text; paragraphs separated by blank lines). */
  detail?: string;
}

export interface CommandSpec {
  /** Command name, e.g. `trk-capture`. */
  name: string;
  /** One sentence: the man page's NAME line and the first line of `--help`. */
  summary: string;
  /** Synopsis lines after the command name, e.g. `[-H] -r FILE ...`. */
  usage: string[];
  options: OptionSpec[];
  /** Shown at the end of `--help`: a few example command lines. */
  examples?: string[];
}

/** A mistake in how the command was called: message, usage hint, exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type OptionValues = Record<string, string | number | boolean | string[] | undefined>;

export interface ParsedArgs {
  options: OptionValues;
  positional: string[];
}

/** `--help` and `--version` come with every command. */
export const STANDARD_OPTIONS: OptionSpec[] = [
  { long: 'help', type: 'flag', help: 'show this help and exit' },
  { long: 'version', type: 'flag', help: 'print the version and exit' },
];

/** The command's options, then --help and --version unless the command gives them itself (trk-threshold adds ipband's -h and -v). */
function allOptions(spec: CommandSpec): OptionSpec[] {
  const own = new Set(spec.options.map((o) => o.long));
  return [...spec.options, ...STANDARD_OPTIONS.filter((o) => !own.has(o.long))];
}

function flagName(o: OptionSpec): string {
  return o.short ? `-${o.short}/--${o.long}` : `--${o.long}`;
}

export function parseArgs(spec: CommandSpec, argv: string[]): ParsedArgs {
  const options = allOptions(spec);
  const alias: Record<string, string[]> = {};
  const boolean: string[] = [];
  const string: string[] = [];
  for (const o of options) {
    // every option goes into `alias`: mri reports as unknown whatever is not there
    alias[o.long] = o.short ? [o.short] : [];
    if (o.type === 'flag') {
      boolean.push(o.long);
      if (o.long.startsWith('no-')) alias[o.long.slice(3)] = [];
    } else string.push(o.long);
  }
  const raw = mri(normalise(options, argv), {
    alias,
    boolean,
    string,
    unknown: (flag: string) => {
      throw new UsageError(`unknown option ${flag}`);
    },
  }) as Record<string, unknown> & { _: string[] };

  const values: OptionValues = {};
  for (const o of options) {
    let v = raw[o.long];
    if (o.type === 'flag') {
      if (o.long.startsWith('no-') && raw[o.long.slice(3)] === false) v = true;
      if (Array.isArray(v)) v = v[v.length - 1];
      values[o.long] = v === true;
      continue;
    }
    if (v === undefined) continue;
    const list = (Array.isArray(v) ? v : [v]).map((x) => String(x));
    for (const item of list) {
      // mri gives '' (or swallows the next option) when the value is missing
      if (item === '') throw new UsageError(`option ${flagName(o)} needs a value (${o.arg ?? 'VALUE'})`);
      if (o.choices && !o.choices.includes(item)) {
        throw new UsageError(`option ${flagName(o)} takes one of ${o.choices.join(', ')}, not '${item}'`);
      }
    }
    if (o.type === 'list') {
      values[o.long] = list;
    } else if (o.type === 'number') {
      const text = list[list.length - 1]!;
      const n = Number(text);
      if (!/^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(text) || !Number.isFinite(n)) {
        throw new UsageError(`option ${flagName(o)} takes a number, not '${text}'`);
      }
      if (o.min !== undefined && n < o.min) {
        throw new UsageError(`option ${flagName(o)} must be at least ${o.min}, not ${text}`);
      }
      values[o.long] = n;
    } else {
      values[o.long] = list[list.length - 1];
    }
  }
  return { options: values, positional: raw._.map(String) };
}

/**
 * Rewrite every option as `--long` or `--long=value` before mri sees it. mri
 * alone takes the value `-` (standard input) for a flag, loses values when an
 * option is repeated under its short and its long name, and lets a value-less
 * option swallow the next option as its value.
 */
function normalise(options: OptionSpec[], argv: string[]): string[] {
  const byShort = new Map(options.filter((o) => o.short).map((o) => [o.short!, o]));
  const byLong = new Map(options.map((o) => [o.long, o]));
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (arg.startsWith('--')) {
      const o = byLong.get(arg.slice(2));
      if (o && o.type !== 'flag') {
        if (i + 1 >= argv.length) throw new UsageError(`option ${flagName(o)} needs a value (${o.arg ?? 'VALUE'})`);
        out.push(`${arg}=${argv[++i]}`);
      } else out.push(arg);
      continue;
    }
    if (arg.length < 2 || arg[0] !== '-') {
      out.push(arg);
      continue;
    }
    // one or more short options bundled: -Hr FILE, -rFILE, -c5
    for (let j = 1; j < arg.length; j++) {
      const o = byShort.get(arg[j]!);
      if (!o) throw new UsageError(`unknown option -${arg[j]}`);
      if (o.type === 'flag') {
        out.push(`--${o.long}`);
        continue;
      }
      const rest = arg.slice(j + 1);
      if (rest) out.push(`--${o.long}=${rest}`);
      else if (i + 1 < argv.length) out.push(`--${o.long}=${argv[++i]}`);
      else throw new UsageError(`option ${flagName(o)} needs a value (${o.arg ?? 'VALUE'})`);
      break;
    }
  }
  return out;
}

function optionLabel(o: OptionSpec): string {
  const value = o.type === 'flag' ? '' : ` ${o.arg ?? 'VALUE'}`;
  return o.short ? `-${o.short}, --${o.long}${value}` : `    --${o.long}${value}`;
}

function defaultNote(o: OptionSpec): string {
  return o.default === undefined ? '' : ` (default ${o.default})`;
}

/** The text of `--help`. */
export function helpText(spec: CommandSpec): string {
  const lines = [`${spec.name} — ${spec.summary}`, '', 'Usage:'];
  for (const u of spec.usage) lines.push(`  ${spec.name} ${u}`);
  lines.push('', 'Options:');
  const options = allOptions(spec);
  const width = Math.min(34, Math.max(...options.map((o) => optionLabel(o).length)) + 2);
  for (const o of options) {
    const label = optionLabel(o);
    const text = o.help + defaultNote(o);
    if (label.length + 2 > width) lines.push(`  ${label}`, `  ${' '.repeat(width)}${text}`);
    else lines.push(`  ${label.padEnd(width)}${text}`);
  }
  if (spec.examples?.length) {
    lines.push('', 'Examples:');
    for (const e of spec.examples) lines.push(`  ${e}`);
  }
  lines.push('', `See man ${spec.name} for the details.`);
  return lines.join('\n') + '\n';
}

/** Escape text for roff: backslashes, and a leading dot or quote that roff would take as a request. */
export function roffEscape(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .replace(/^([.'])/gm, '\\&$1');
}

/** The man page's SYNOPSIS section body. */
export function manSynopsis(spec: CommandSpec): string {
  return spec.usage.map((u) => `.B ${spec.name}\n${roffEscape(u)}`).join('\n.br\n');
}

/** The man page's OPTIONS section body. */
export function manOptions(spec: CommandSpec): string {
  const out: string[] = [];
  for (const o of allOptions(spec)) {
    const names = o.short ? `\\fB\\-${o.short}\\fR, \\fB\\-\\-${roffEscape(o.long)}\\fR` : `\\fB\\-\\-${roffEscape(o.long)}\\fR`;
    const value = o.type === 'flag' ? '' : ` \\fI${roffEscape(o.arg ?? 'VALUE')}\\fR`;
    out.push('.TP', names + value);
    out.push(roffEscape(sentence(o.help) + (o.default === undefined ? '' : ` Default: ${o.default}.`)));
    if (o.choices) out.push(roffEscape(`One of: ${o.choices.join(', ')}.`));
    if (o.detail) {
      for (const para of o.detail.split(/\n\s*\n/)) out.push('.IP', roffEscape(para.trim()));
    }
  }
  return out.join('\n');
}

function sentence(text: string): string {
  const t = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(t) ? t : `${t}.`;
}
