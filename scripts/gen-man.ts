/**
 * Builds man/trk-*.1 from man/src/trk-*.1.in and each command's option table,
 * so the man page's NAME, SYNOPSIS and OPTIONS are the very text `--help` is
 * made from; a command may fill more @SECTIONS@ from its own tables
 * (trk-classify's alert kinds and STAT keys). Runs as part of `npm run build`; `--check` exits 1 when a
 * committed page is out of date instead of writing it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMMANDS } from '../src/cli/commands.js';
import { manOptions, manSynopsis, roffEscape, type CommandSpec } from '../src/cli/options.js';
import { packageVersion } from '../src/cli/run.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function renderManPage(template: string, spec: CommandSpec, version: string, extra: Record<string, string> = {}): string {
  const fill: Record<string, string> = {
    ...extra,
    '@NAME@': `${spec.name} \\- ${roffEscape(spec.summary)}`,
    '@SYNOPSIS@': manSynopsis(spec),
    '@OPTIONS@': manOptions(spec),
    '@VERSION@': version,
  };
  return template.replace(/@[A-Z]+@/g, (m) => fill[m] ?? m);
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const version = packageVersion();
  let stale = 0;
  for (const [name, load] of Object.entries(COMMANDS)) {
    const { spec, manSections } = await load();
    const template = fs.readFileSync(path.join(ROOT, 'man/src', `trk-${name}.1.in`), 'utf8');
    const page = renderManPage(template, spec, version, manSections ? await manSections() : {});
    const target = path.join(ROOT, 'man', `trk-${name}.1`);
    const current = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : '';
    if (current === page) continue;
    if (check) {
      process.stderr.write(`gen-man: ${path.relative(ROOT, target)} is out of date: run npm run build\n`);
      stale++;
    } else fs.writeFileSync(target, page);
  }
  process.exitCode = stale ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) await main();
