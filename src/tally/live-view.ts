/**
 * trk-tally --live: the -H tables as a full-screen view, redrawn every
 * interval, like top.
 *
 *     const view = new LiveView({ tty: process.stdout as tty.WriteStream, onQuit: () => stop.abort() });
 *     engine emits r  →  view.show(r, nextRefreshAt)
 *     notes           →  view.status('input ended')
 *     at the end      →  view.close()
 *
 * The screen: a status line in reverse video (interval, packets/s, rate,
 * keys, evictions, seconds to the next refresh, a message, the keys to
 * press), then each table as -H prints it, cut to the terminal's height: a
 * table that does not fit shows its first rows, and those left out are added
 * into its other row, so the totals still add up on screen.
 *
 * The terminal: the alternate screen buffer (the shell's screen comes back
 * untouched), cursor hidden, auto-wrap off (a line one column too long is
 * cut, never wrapped into the next). Each frame is built as one string and
 * written at once; only the lines that changed since the last frame are
 * rewritten, each cleared to its end, so nothing flickers and a frame over
 * a slow link is a few hundred bytes. SIGWINCH redraws at the new size.
 *
 * Keys: `q` or Ctrl-C quits (the view closes itself, then calls onQuit);
 * Ctrl-L or space redraws; Ctrl-Z suspends to the shell like any program
 * (`fg` brings the view back). The key stream is put in raw mode, so
 * Ctrl-C arrives as a key rather than as SIGINT. When the data comes on
 * standard input, keys are read from /dev/tty (see openKeys); with no
 * terminal to read from, Ctrl-C still ends the command as SIGINT.
 *
 * The terminal is restored whatever happens: close(), q, Ctrl-C, SIGTERM,
 * SIGINT or SIGHUP (restored at once; the command's own handler, if any,
 * then flushes and exits, else the signal is raised again to end the
 * process as it would have), an uncaught exception and process exit. The
 * screen is given back before an error is printed, so the message stays on
 * the shell's screen instead of vanishing with the alternate one: Node
 * emits 'exit' before it prints an uncaught exception, and a command's own
 * 'uncaughtException' handler runs after the monitor hook below. A command
 * that reports its errors itself must close() the view first (a finally).
 *
 * With --resolve the view redraws when a name comes in (at most every
 * 100 ms), so names appear without waiting for the next interval.
 */
import fs from 'node:fs';
import tty from 'node:tty';
import type { Services } from '../net/services.js';
import { formatBitRate, formatCount, formatDuration, formatTable } from './human.js';
import type { NameCache } from './resolve.js';
import type { IntervalResult, Table } from './types.js';

export interface LiveViewOptions {
  /** The terminal to draw on (process.stdout when it is one). */
  tty: tty.WriteStream;
  /**
   * Where keys come from. Omitted: openKeys() (standard input when it is a
   * terminal, else /dev/tty). null: no keys (quit with Ctrl-C as SIGINT).
   * The view owns the stream: it sets raw mode, and on close turns raw mode
   * off and, unless it is process.stdin, closes it.
   */
  keys?: tty.ReadStream | null;
  /** The user pressed q or Ctrl-C. The terminal is already restored when this is called. */
  onQuit(): void;
  /** --resolve: names in the host and conn tables. */
  resolve?: NameCache | undefined;
  /** Service names for ports (none with -n). */
  services?: Services | undefined;
  rxTx?: 'rx' | 'tx' | undefined;
  /** First word of the status line. */
  title?: string;
}

const ESC = '\x1b[';
const ENTER = `${ESC}?1049h${ESC}?25l${ESC}?7l${ESC}H${ESC}2J`;
const LEAVE = `${ESC}m${ESC}?7h${ESC}?25h${ESC}?1049l`;
const REVERSE = `${ESC}7m`;
const NORMAL = `${ESC}m`;
const CLEAR_EOL = `${ESC}K`;
const CLEAR_BELOW = `${ESC}J`;

const CTRL_C = 0x03;
const CTRL_L = 0x0c;
const CTRL_Z = 0x1a;

/** The signals after which the terminal must be put back before anything else happens. */
const RESTORE_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];

/**
 * A key stream for the view: standard input when it is a terminal; else the
 * controlling terminal, /dev/tty (the data is on standard input: `trk-capture
 * | trk-tally -H`); undefined when there is none (cron, ssh without -t).
 */
export function openKeys(): tty.ReadStream | undefined {
  if (process.stdin.isTTY) return process.stdin as tty.ReadStream;
  let fd: number;
  try {
    fd = fs.openSync('/dev/tty', fs.constants.O_RDONLY | fs.constants.O_NOCTTY);
  } catch {
    return undefined;
  }
  if (!tty.isatty(fd)) {
    fs.closeSync(fd);
    return undefined;
  }
  return new tty.ReadStream(fd);
}

export class LiveView {
  private readonly out: tty.WriteStream;
  /** The terminal's descriptor, for writes that must be done before the next statement (process.stdout has one). */
  private readonly fd: number | undefined;
  private readonly keys: tty.ReadStream | undefined;
  private readonly opts: LiveViewOptions;
  private result: IntervalResult | undefined;
  private nextAt: number | undefined;
  private message = '';
  /** What the screen shows now, line by line; undefined: unknown, redraw it all. */
  private shown: string[] | undefined;
  private shownSize = '';
  private closedFlag = false;
  /** The screen is the shell's now (restored, or stopped by Ctrl-Z): draw nothing. */
  private released = false;
  private stoppedByKey = false;
  private readonly ticker: NodeJS.Timeout;
  private pendingRedraw: NodeJS.Timeout | undefined;
  private readonly listeners: [NodeJS.EventEmitter, string, (...args: never[]) => void][] = [];
  private readonly unsubscribeNames: (() => void) | undefined;

  constructor(opts: LiveViewOptions) {
    this.opts = opts;
    this.out = opts.tty;
    const fd = (opts.tty as { fd?: unknown }).fd;
    this.fd = typeof fd === 'number' ? fd : undefined;
    this.keys = opts.keys === null ? undefined : (opts.keys ?? openKeys());
    this.listen(process, 'exit', () => this.restore());
    // before a command's own uncaughtException handler prints: on the alternate screen its message would vanish
    this.listen(process, 'uncaughtExceptionMonitor', () => this.restore());
    for (const signal of RESTORE_SIGNALS) this.listen(process, signal, () => this.onSignal(signal));
    this.listen(process, 'SIGWINCH', () => this.redraw());
    this.listen(process, 'SIGCONT', () => this.resume());
    // the terminal went away (hang-up): nothing more to draw on, and nobody to watch
    this.listen(this.out, 'error', () => {
      this.closedFlag = true;
      this.close();
      opts.onQuit();
    });
    if (this.keys !== undefined) this.listen(this.keys, 'data', (chunk: Buffer) => this.onKeys(chunk));
    this.unsubscribeNames = opts.resolve?.onName(() => this.redraw());
    // the countdown in the status line
    this.ticker = setInterval(() => {
      if (this.nextAt !== undefined) this.draw();
    }, 1000);
    this.ticker.unref();
    this.enter();
    this.draw();
  }

  /** True once close() ran (or the terminal went away); show() and status() then do nothing. */
  get closed(): boolean {
    return this.closedFlag;
  }

  /**
   * Draw an interval's tables. `nextAt` (seconds since the epoch, wall
   * clock): when the next result is due, for the countdown in the status
   * line; leave it out when results do not follow the clock (a file).
   */
  show(r: IntervalResult, nextAt?: number): void {
    this.result = r;
    this.nextAt = nextAt;
    this.draw();
  }

  /** A message in the status line (`input ended`, `reading day.pcap 40%`); '' removes it. */
  status(text: string): void {
    this.message = text.replace(/[\x00-\x1f\x7f-\x9f]/g, ' ');
    this.draw();
  }

  /** Draw again soon with what is known now (a name came in); calls within 100 ms make one frame. */
  redraw(): void {
    if (this.pendingRedraw !== undefined || this.closedFlag) return;
    this.pendingRedraw = setTimeout(() => {
      this.pendingRedraw = undefined;
      this.draw();
    }, 100);
    this.pendingRedraw.unref();
  }

  /** Leave the full screen and give the terminal back as it was. Safe to call more than once. */
  close(): void {
    if (this.listeners.length === 0) return;
    this.restore();
    this.closedFlag = true;
    clearInterval(this.ticker);
    if (this.pendingRedraw !== undefined) clearTimeout(this.pendingRedraw);
    for (const [emitter, event, listener] of this.listeners) emitter.off(event, listener as (...args: unknown[]) => void);
    this.listeners.length = 0;
    this.unsubscribeNames?.();
    if (this.keys !== undefined) {
      this.keys.pause();
      if (this.keys !== process.stdin) this.keys.destroy();
    }
  }

  // ---- the terminal

  private listen(emitter: NodeJS.EventEmitter, event: string, listener: (...args: never[]) => void): void {
    emitter.on(event, listener as (...args: unknown[]) => void);
    this.listeners.push([emitter, event, listener]);
  }

  private enter(): void {
    this.released = false;
    if (this.keys?.isTTY) this.keys.setRawMode(true);
    this.keys?.resume();
    this.writeNow(ENTER);
    this.shown = undefined;
  }

  /**
   * Put the terminal back, synchronously (it runs in 'exit' handlers and
   * before an exception is printed). Idempotent while the screen is not ours.
   */
  private restore(): void {
    if (this.released) return;
    this.released = true;
    try {
      if (this.keys?.isTTY) this.keys.setRawMode(false);
    } catch {
      // the terminal is gone: nothing to restore
    }
    this.writeNow(LEAVE);
  }

  private writeNow(text: string): void {
    try {
      // a tty.WriteStream writes synchronously too (Node sets its handle blocking); the fd skips its queue
      if (this.fd !== undefined) fs.writeSync(this.fd, text);
      else this.out.write(text);
    } catch {
      // a closed or hung-up terminal cannot be drawn on or restored
    }
  }

  private onSignal(signal: NodeJS.Signals): void {
    this.close();
    // nobody else handles it: end the process as the signal would have
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  }

  private onKeys(chunk: Buffer): void {
    for (const byte of chunk) {
      if (byte === 0x71 /* q */ || byte === 0x51 /* Q */ || byte === CTRL_C) {
        this.close();
        this.opts.onQuit();
        return;
      }
      if (byte === CTRL_L || byte === 0x20) {
        this.shown = undefined;
        this.draw();
      } else if (byte === CTRL_Z) {
        this.suspend();
        return;
      }
    }
  }

  /** Ctrl-Z in raw mode is only a key: do what the terminal would have done, stop the job. */
  private suspend(): void {
    this.stoppedByKey = true;
    this.restore();
    // pid 0: the whole process group, so the programs feeding us stop too, as with a real ^Z
    process.kill(0, 'SIGTSTP');
  }

  private resume(): void {
    if (this.closedFlag || !this.stoppedByKey) return;
    this.stoppedByKey = false;
    this.enter();
    this.draw();
  }

  private size(): { cols: number; rows: number } {
    try {
      const [cols, rows] = this.out.getWindowSize();
      if (cols > 0 && rows > 0) return { cols, rows };
    } catch {
      // not a terminal after all
    }
    return { cols: this.out.columns || 80, rows: this.out.rows || 24 };
  }

  // ---- frames

  private draw(): void {
    if (this.closedFlag || this.released) return;
    const { cols, rows } = this.size();
    const lines = this.frame(cols, rows);
    const size = `${cols}x${rows}`;
    const full = this.shown === undefined || this.shownSize !== size;
    let text = full ? `${ESC}H` : '';
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (!full && this.shown![i] === line) continue;
      // a line as wide as the screen must not be followed by clear-to-end, which would erase its last column
      const plainLength = line.startsWith(REVERSE) ? cols : line.length;
      text += (full ? (i > 0 ? '\r\n' : '') : `${ESC}${i + 1};1H`) + line + (plainLength < cols ? CLEAR_EOL : '');
    }
    if (full) {
      if (lines.length < rows) text += '\r\n' + CLEAR_BELOW;
    } else if (lines.length < this.shown!.length) {
      text += `${ESC}${lines.length + 1};1H${CLEAR_BELOW}`;
    }
    this.shown = lines;
    this.shownSize = size;
    if (text !== '') this.out.write(text);
  }

  /** The screen's lines: status, blank, the tables cut to fit; none wider than `cols`, at most `rows`. */
  private frame(cols: number, rows: number): string[] {
    const lines = [this.statusLine(cols)];
    const r = this.result;
    if (r === undefined) {
      lines.push('', 'waiting for the first interval…'.slice(0, cols));
      return lines.slice(0, rows);
    }
    if (rows > 8) lines.push('');
    const budget = rowBudget(r.tables, rows - lines.length);
    r.tables.forEach((table, i) => {
      if (i > 0) lines.push('');
      lines.push(
        ...formatTable(r, table, {
          width: cols,
          maxRows: budget[i],
          resolve: this.opts.resolve,
          services: this.opts.services,
          rxTx: this.opts.rxTx,
        }),
      );
    });
    return lines.slice(0, rows);
  }

  /** top's summary line: what the last interval was, how busy, how full, when the next one comes. */
  private statusLine(cols: number): string {
    // each part with how long it is kept when the line is too narrow (higher: longer)
    const parts: [string, number][] = [[this.opts.title ?? 'trk-tally', 100]];
    const r = this.result;
    if (r !== undefined) {
      const total = r.tables[0]?.total;
      parts.push([`${intervalText(r.end - r.start)} interval${r.partial ? ' (partial)' : ''}`, 60]);
      if (total !== undefined && r.seconds > 0) {
        parts.push([`${formatCount(Math.round(total.pkts / r.seconds))} pkts/s`, 80]);
        parts.push([formatBitRate((total.bytes * 8) / r.seconds), 70]);
      }
      // keys held across the tables: how close the tally is to --max-keys
      parts.push([`${r.tables.reduce((n, t) => n + t.keys, 0)} keys`, 50]);
      parts.push([`${r.tables.reduce((n, t) => n + t.evicted, 0)} evicted`, 55]);
    }
    if (this.nextAt !== undefined) {
      const left = Math.ceil(this.nextAt - Date.now() / 1000);
      if (left >= 0) parts.push([`next in ${formatDuration(left)}`, 65]);
    }
    if (this.message !== '') parts.push([this.message, 90]);
    parts.push(['q quits', 40]);
    const join = (): string => parts.map(([t]) => t).join('  ');
    while (join().length + 2 > cols && parts.length > 1) {
      let lowest = 0;
      for (let i = 1; i < parts.length; i++) if (parts[i]![1] < parts[lowest]![1]) lowest = i;
      parts.splice(lowest, 1);
    }
    const text = ` ${join()}`.slice(0, cols);
    return REVERSE + text.padEnd(cols) + NORMAL;
  }
}

/** `60 s`, `5 min`, `1 h`, else `1h30m`: the length of an interval as --every would say it. */
function intervalText(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 120) return `${s} s`;
  if (s % 3600 === 0) return `${s / 3600} h`;
  if (s % 60 === 0 && s < 7200) return `${s / 60} min`;
  return formatDuration(s);
}

/**
 * How many rows each table may show in `lines` screen lines: each needs its
 * heading, column header and totals (and an other row when it has one, or
 * when rows are cut), a blank line between tables; the rows left are shared
 * out evenly, a table that needs fewer giving its share to the others.
 */
function rowBudget(tables: Table[], lines: number): number[] {
  const fixed = tables.reduce((n, t, i) => n + 3 + (t.other !== undefined ? 1 : 0) + (i > 0 ? 1 : 0), 0);
  let left = Math.max(0, lines - fixed);
  const alloc = tables.map(() => 0);
  for (;;) {
    const open = tables.map((t, i) => i).filter((i) => alloc[i]! < tables[i]!.rows.length);
    if (open.length === 0 || left <= 0) break;
    const share = Math.max(1, Math.floor(left / open.length));
    for (const i of open) {
      const give = Math.min(share, tables[i]!.rows.length - alloc[i]!, left);
      alloc[i]! += give;
      left -= give;
    }
  }
  // a table cut short needs a line for its other row, if it had none
  return alloc.map((n, i) => (n < tables[i]!.rows.length && tables[i]!.other === undefined ? Math.max(0, n - 1) : n));
}
