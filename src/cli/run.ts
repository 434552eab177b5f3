/**
 * What every command does around its own work: parse the option table, answer
 * --help and --version, turn errors into the exit codes of the design brief
 * (0 done, 1 bad input or runtime failure, 2 usage) with one line on stderr and
 * never a stack trace (set TRK_DEBUG=1 to see one).
 */
import fs from 'node:fs';
import { InputError } from '../capture/source.js';
import { helpText, parseArgs, UsageError, type CommandSpec, type ParsedArgs } from './options.js';

export function packageVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Print one error line the way every trk command does. */
export function warn(command: string, message: string): void {
  process.stderr.write(`${command}: ${message}\n`);
}

/**
 * Run a command's main with parsed arguments and exit with its code. `main`
 * returns the exit code; it throws UsageError / InputError for the two kinds
 * of failure the user can fix.
 */
export async function runCommand(
  spec: CommandSpec,
  main: (args: ParsedArgs) => Promise<number>,
  argv: string[] = process.argv.slice(2),
): Promise<never> {
  let code: number;
  try {
    const args = parseArgs(spec, argv);
    if (args.options.help) {
      process.stdout.write(helpText(spec));
      code = 0;
    } else if (args.options.version) {
      process.stdout.write(`${spec.name} ${packageVersion()}\n`);
      code = 0;
    } else {
      code = await main(args);
    }
  } catch (err) {
    code = reportError(spec.name, err);
  }
  // A second SIGINT or SIGTERM while the output drains: exit at once, as the design says.
  const now = (): never => process.exit(code);
  process.once('SIGINT', now);
  process.once('SIGTERM', now);
  await Promise.all([handedOver(process.stdout), handedOver(process.stderr)]);
  process.exit(code);
}

const NOTHING = Buffer.alloc(0);

/**
 * Resolves once everything written to `stream` has been handed to the
 * kernel. On POSIX, Node writes to a pipe asynchronously: with a slow reader
 * the last lines still wait in the stream when the command is done, and
 * process.exit() would drop them. A write's callback comes after the writes
 * before it, so an empty one marks the end. A closed pipe resolves too.
 */
function handedOver(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.writableLength === 0 || stream.destroyed) return Promise.resolve();
  return new Promise<void>((resolve) => {
    stream.once('error', () => resolve());
    stream.write(NOTHING, () => resolve());
  });
}

function reportError(command: string, err: unknown): number {
  if (err instanceof UsageError) {
    warn(command, err.message);
    process.stderr.write(`Try '${command} --help' for more information.\n`);
    return 2;
  }
  if (process.env.TRK_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  if (err instanceof InputError) {
    warn(command, err.message);
    return 1;
  }
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'EPIPE') return 0; // the reader went away (`| head`): not our failure
  warn(command, e instanceof Error ? e.message : String(err));
  return 1;
}
