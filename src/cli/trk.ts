/**
 * trk — the umbrella: `trk capture …` runs `trk-capture …`, `trk --help` lists
 * the commands, `trk completion` prints a shell completion script.
 */
import yargs from 'yargs';
import { COMMANDS, type CommandModule } from './commands.js';
import { packageVersion } from './run.js';

/** The umbrella's own options; everything else belongs to a command. */
const UMBRELLA_OPTIONS = new Set(['--help', '-h', '--version', '--get-yargs-completions']);

export async function run(argv: string[] = process.argv.slice(2)): Promise<void> {
  const first = argv[0];
  // `trk NAME args…` hands the arguments over untouched, so the command parses
  // them exactly as `trk-NAME args…` would (yargs would re-interpret them)
  if (first !== undefined && Object.hasOwn(COMMANDS, first)) {
    const command = await COMMANDS[first]!();
    await command.run(argv.slice(1));
    return;
  }

  // yargs would answer an unknown option with "name a command": say what is wrong
  if (first !== undefined && first.startsWith('-') && !UMBRELLA_OPTIONS.has(first.split('=')[0]!)) {
    process.stderr.write(`trk: unknown option ${first}\nTry 'trk --help' for more information.\n`);
    process.exit(2);
  }

  const modules = await loadAll();
  const cli = yargs(argv)
    .scriptName('trk')
    .usage('trk COMMAND [OPTIONS...]\n\nWatch IP networks from the shell. Each command is also installed as trk-COMMAND.')
    .version(packageVersion())
    .help()
    .alias('h', 'help')
    .strictCommands()
    .demandCommand(1, 'name a command: trk COMMAND --help tells more')
    .completion('completion', 'print a bash/zsh completion script (trk completion >> ~/.bashrc)', (current, args, done) => {
      done(completions(modules, current, (args as { _: string[] })._.map(String)));
    })
    .epilogue('See man trk for the line format every command speaks.')
    .fail((msg, err) => {
      process.stderr.write(`trk: ${err ? err.message : msg}\nTry 'trk --help' for more information.\n`);
      process.exit(2);
    });
  for (const [name, mod] of Object.entries(modules)) cli.command(name, mod.spec.summary);
  await cli.parseAsync();
}

async function loadAll(): Promise<Record<string, CommandModule>> {
  const entries = await Promise.all(Object.entries(COMMANDS).map(async ([name, load]) => [name, await load()] as const));
  return Object.fromEntries(entries);
}

/** Completion words: command names after `trk`, then that command's options. */
export function completions(modules: Record<string, CommandModule>, current: string, words: string[]): string[] {
  const command = words[1] !== undefined && words[1] !== current ? modules[words[1]] : undefined;
  if (!command) return Object.keys(modules).concat('completion').filter((n) => n.startsWith(current));
  const flags = command.spec.options.flatMap((o) => [`--${o.long}`, ...(o.short ? [`-${o.short}`] : [])]);
  return flags.concat('--help', '--version').filter((f) => f.startsWith(current));
}
