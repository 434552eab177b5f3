/**
 * ipband's -M: hand each report to an MTA command (-T, `mtastring`; default
 * `/usr/sbin/sendmail -t -oi`), which reads the whole message, headers
 * included, on its standard input.
 *
 * ipband waited for the MTA (its man page lists "report mailing blocks until
 * pipe to sendmail returns" under BUGS): here the MTA runs beside the packet
 * processing and is never waited for, except at exit, for a bounded time.
 * At most MAX_RUNNING run at once and MAX_QUEUED wait; past that a report is
 * not mailed and the operator is told (it is still on standard output and in
 * -o). The command string is split into words (double or single quotes group
 * words) and run without a shell, as ipband did with exec().
 */
import { spawn } from 'node:child_process';

const MAX_RUNNING = 4;
const MAX_QUEUED = 64;
/** How long an MTA may take to accept a message before it is given up on. */
const MTA_TIMEOUT_MS = 60_000;

export class Mailer {
  private running = 0;
  private readonly queue: string[] = [];
  private readonly idle: (() => void)[] = [];
  /** Messages handed over, failed, and not sent because too many were waiting. */
  sent = 0;
  failed = 0;
  dropped = 0;
  private readonly argv: string[];

  constructor(
    mtastring: string,
    private readonly warn: (message: string) => void,
  ) {
    this.argv = splitCommand(mtastring);
    if (this.argv.length === 0) throw new Error('the MTA command (-T) is empty');
  }

  send(message: string): void {
    if (this.running < MAX_RUNNING) this.start(message);
    else if (this.queue.length < MAX_QUEUED) this.queue.push(message);
    else {
      this.dropped++;
      if (this.dropped === 1) this.warn(`${MAX_QUEUED} reports are waiting for '${this.argv[0]}': further reports are not mailed until it catches up`);
    }
  }

  private start(message: string): void {
    this.running++;
    let output = '';
    let settled = false;
    const child = spawn(this.argv[0]!, this.argv.slice(1), { stdio: ['pipe', 'ignore', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGTERM'), MTA_TIMEOUT_MS);
    timer.unref();
    const done = (problem: string | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (problem === undefined) this.sent++;
      else {
        this.failed++;
        this.warn(`mailing a report with '${this.argv.join(' ')}' failed: ${problem}`);
      }
      this.running--;
      const next = this.queue.shift();
      if (next !== undefined) this.start(next);
      else if (this.running === 0) for (const f of this.idle.splice(0)) f();
    };
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      if (output.length < 500) output += d;
    });
    child.on('error', (err: NodeJS.ErrnoException) =>
      done(err.code === 'ENOENT' ? `${this.argv[0]} not found (install an MTA, e.g. apt-get install msmtp-mta, or name one with -T)` : err.message),
    );
    child.on('close', (code, signal) => {
      if (code === 0) done(undefined);
      else done(signal ? `killed by ${signal}` : `exit ${code}${output.trim() ? `: ${output.trim().split('\n')[0]}` : ''}`);
    });
    // an MTA that exits without reading its input must not take the process down with EPIPE
    child.stdin.on('error', () => {});
    child.stdin.end(message);
  }

  /** Wait until every message is handed over, at most `ms`. Resolves to the number still pending. */
  async settle(ms: number): Promise<number> {
    if (this.running === 0 && this.queue.length === 0) return 0;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.idle.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    return this.running + this.queue.length;
  }
}

/** Split an MTA command line into words: whitespace separates, quotes group, no shell. */
export function splitCommand(text: string): string[] {
  const words: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  let m: RegExpExecArray | null;
  let current = '';
  let last = -1;
  while ((m = re.exec(text)) !== null) {
    const piece = m[1] ?? m[2] ?? m[3] ?? '';
    // pieces with no space between them belong to one word: --from="a b"
    if (last === m.index) current += piece;
    else {
      if (last !== -1) words.push(current);
      current = piece;
    }
    last = re.lastIndex;
  }
  if (last !== -1) words.push(current);
  return words;
}
