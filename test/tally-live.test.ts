/**
 * trk-tally --live in a real terminal: tmux runs an interactive shell, the
 * shell runs test/fixtures/live-driver.ts (the LiveView fed a new interval
 * every 300 ms), and the test reads the screen as a person would see it
 * (capture-pane) and types keys (send-keys). Checked: the tables appear,
 * are redrawn, fit a resized terminal; q, Ctrl-C, Ctrl-Z, SIGTERM and an
 * uncaught exception all give the shell its screen back with the cursor
 * shown and the terminal out of raw mode, and nothing is printed after.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { waitUntil } from './helpers/netns.js';
import { REPO_ROOT } from './helpers/paths.js';

const tmuxMissing = spawnSync('tmux', ['-V']).error ? 'tmux is not installed (apt-get install tmux)' : false;
const FIXTURES = path.join(REPO_ROOT, 'dist/test/fixtures');

/** Typed after the driver ends: its exit status, and whether the terminal is back in cooked mode. */
const CHECK = `echo "exit=$?"; stty -a | tr ' ' '\\n' | grep -Ex -- '-?(isig|icanon|echo)' | tr '\\n' ' '; echo`;
const SANE = 'isig icanon echo';

let serial = 0;

/** A tmux server of our own (its own socket) with one pane running an interactive bash. */
class Terminal {
  private readonly socket = `trk-live-${process.pid}-${serial++}`;

  private constructor(width: number, height: number) {
    const bash = `env PS1='$ ' PATH=${path.dirname(process.execPath)}:/usr/bin:/bin TZ=UTC bash --norc --noprofile -i`;
    this.tmux('new-session', '-d', '-s', 'main', '-c', FIXTURES, '-x', String(width), '-y', String(height), bash);
  }

  /** A terminal whose shell is ready: keys typed before its first prompt would be echoed ahead of it. */
  static async open(width: number, height: number): Promise<Terminal> {
    const term = new Terminal(width, height);
    try {
      await term.waitScreen('the first prompt', (l) => l.length === 1 && l[0] === '$');
    } catch (err) {
      term.close();
      throw err;
    }
    return term;
  }

  tmux(...args: string[]): string {
    return execFileSync('tmux', ['-u', '-L', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
  }

  /** The screen as shown now (the alternate screen while a full-screen program has it), trailing blank lines dropped. */
  screen(): string[] {
    const lines = this.tmux('capture-pane', '-p', '-t', 'main').split('\n').map((l) => l.trimEnd());
    while (lines.length > 0 && lines.at(-1) === '') lines.pop();
    return lines;
  }

  flags(): { alternate: boolean; cursor: boolean; width: number; height: number } {
    const [alternate, cursor, width, height] = this.tmux('display', '-p', '-t', 'main', '#{alternate_on} #{cursor_flag} #{pane_width} #{pane_height}').trim().split(' ');
    return { alternate: alternate === '1', cursor: cursor === '1', width: Number(width), height: Number(height) };
  }

  type(line: string): void {
    this.tmux('send-keys', '-t', 'main', '-l', line);
    this.tmux('send-keys', '-t', 'main', 'Enter');
  }

  key(name: string): void {
    this.tmux('send-keys', '-t', 'main', name);
  }

  resize(width: number, height: number): void {
    this.tmux('resize-window', '-t', 'main', '-x', String(width), '-y', String(height));
  }

  async waitScreen(what: string, done: (lines: string[]) => boolean, timeoutMs = 10000): Promise<string[]> {
    let lines: string[] = [];
    await waitUntil(
      () => done((lines = this.screen())),
      () => `${what}: not on the screen within ${timeoutMs} ms; it shows:\n${lines.join('\n')}`,
      timeoutMs,
    );
    return lines;
  }

  /** Wait for the shell's own screen to come back, then run CHECK: the exit status and the tty modes. */
  async shellBack(): Promise<{ before: string[]; exit: string; modes: string }> {
    await waitUntil(() => !this.flags().alternate, () => `the view did not leave the alternate screen:\n${this.screen().join('\n')}`);
    // the prompt is printed once the driver has exited
    const before = await this.waitScreen('the prompt', (l) => l.at(-1) === '$');
    const exits = (l: string[]): number => l.filter((x) => x.startsWith('exit=')).length;
    const earlier = exits(before);
    this.type(CHECK);
    const after = await this.waitScreen('the check', (l) => exits(l) > earlier && l.at(-1) === '$');
    let at = after.length - 1;
    while (!after[at]!.startsWith('exit=')) at--;
    return { before, exit: after[at]!.slice(5), modes: after[at + 1]!.trim() };
  }

  close(): void {
    spawnSync('tmux', ['-L', this.socket, 'kill-server'], { stdio: 'ignore' });
  }
}

/** What the shell's screen shows after the command line `$ command` (its last occurrence). */
function afterCommand(lines: string[], command: string): string[] {
  const at = lines.lastIndexOf(`$ ${command}`);
  assert.ok(at >= 0, `no '$ ${command}' on the screen:\n${lines.join('\n')}`);
  return lines.slice(at + 1);
}

const frameOf = (lines: string[]): number => Number(/frame (\d+)/.exec(lines[0] ?? '')?.[1] ?? -1);

test('live view: the tables appear, are redrawn each interval, fit a resized terminal, and q gives the shell back', { skip: tmuxMissing }, async () => {
  const term = await Terminal.open(100, 30);
  try {
    term.type('node live-driver.js');
    let screen = await term.waitScreen('the first frame', (l) => frameOf(l) >= 1 && l.some((x) => x.startsWith('total')));
    assert.deepEqual({ ...term.flags(), width: 0, height: 0 }, { alternate: true, cursor: false, width: 0, height: 0 });
    // the whole terminal is used, nothing wider than it
    assert.equal(screen.length, 30, screen.join('\n'));
    for (const line of screen) assert.ok(line.length <= 100, line);
    assert.match(screen[0]!, /^ trk-tally +60 s interval +\d+ pkts\/s +[\d.]+ [kM]bit\/s +\d+ keys +\d+ evicted .*frame \d+/);
    assert.match(screen[2]!, /^\[2026-11-22 \d\d:\d\d:00 – \d\d:\d\d:00\] by host: \d+ of \d+ keys, \d+ evicted/);
    assert.match(screen[3]!, /^host +pkts +bytes +rate +rx +tx +tcp +udp +other +in +out$/);
    assert.match(screen[4]!, /^10\.0\.0\.1 +\d+ +4\.\d\d MB /);
    // the host table is cut to the screen: its other row, its totals, then the whole connection table
    const hostTotal = screen.findIndex((l) => l.startsWith('total'));
    assert.match(screen[hostTotal - 1]!, /^other /);
    assert.match(screen[hostTotal + 2]!, /\] by conn$/);
    assert.match(screen[hostTotal + 4]!, /^10\.0\.0\.2:51000 → 93\.184\.216\.34:443 /);
    assert.match(screen.at(-1)!, /^total /);

    // redrawn: later frames show later intervals
    const first = frameOf(screen);
    const heading = screen[2]!.slice(0, 40);
    screen = await term.waitScreen('a later frame', (l) => frameOf(l) >= first + 2);
    assert.notEqual(screen[2]!.slice(0, 40), heading);
    assert.equal(screen.length, 30);

    // a smaller terminal: redrawn to fit, fewer columns, the totals still on screen
    term.resize(60, 20);
    screen = await term.waitScreen('the frame at 60x20', (l) => l.length <= 20 && l.some((x) => /^host +pkts/.test(x)) && frameOf(l) > 0);
    await term.waitScreen('a frame after the resize', (l) => frameOf(l) > frameOf(screen));
    screen = term.screen();
    assert.equal(term.flags().width, 60);
    for (const line of screen) assert.ok(line.length <= 60, line);
    assert.equal(screen.length, 20, screen.join('\n'));
    assert.match(screen[3]!, /^host +pkts +bytes +rate +rx +tx$/);
    assert.equal(screen.filter((l) => l.startsWith('total')).length, 2, screen.join('\n'));
    // no line of the larger frame is left behind
    assert.equal(screen.filter((l) => /\] by host/.test(l)).length, 1, screen.join('\n'));

    term.key('q');
    const back = await term.shellBack();
    // the shell's screen as it was, and nothing printed after quitting
    assert.deepEqual(afterCommand(back.before, 'node live-driver.js'), ['$']);
    assert.equal(back.exit, '0');
    assert.equal(back.modes, SANE);
    assert.equal(term.flags().cursor, true);
  } finally {
    term.close();
  }
});

test('live view with --resolve: a name is drawn as soon as it is known, not an interval later', { skip: tmuxMissing }, async () => {
  const term = await Terminal.open(100, 30);
  try {
    // one interval only: nothing but the redraw on the name's arrival can put it on the screen
    term.type('node live-driver.js --resolve-once');
    await term.waitScreen('the name', (l) => l.some((x) => /^localhost( \(127\.0\.0\.1\))? +\d+ /.test(x)));
    assert.equal(frameOf(term.screen()), 1);
    term.key('q');
    const back = await term.shellBack();
    assert.equal(back.exit, '0');
  } finally {
    term.close();
  }
});

test('live view with the data on standard input: keys come from /dev/tty, and Ctrl-C quits', { skip: tmuxMissing }, async () => {
  const term = await Terminal.open(100, 30);
  try {
    term.type('(while :; do echo pkt; sleep 0.02; done) | node live-driver.js');
    const screen = await term.waitScreen('lines from stdin', (l) => Number(/(\d+) lines on stdin/.exec(l[0] ?? '')?.[1] ?? 0) > 10);
    const seen = Number(/(\d+) lines on stdin/.exec(screen[0]!)![1]);
    await term.waitScreen('more lines from stdin', (l) => Number(/(\d+) lines on stdin/.exec(l[0] ?? '')?.[1] ?? 0) > seen);
    assert.equal(term.flags().alternate, true);
    term.key('C-c');
    const back = await term.shellBack();
    assert.deepEqual(afterCommand(back.before, '(while :; do echo pkt; sleep 0.02; done) | node live-driver.js'), ['$']);
    assert.equal(back.exit, '0');
    assert.equal(back.modes, SANE);
    assert.equal(term.flags().cursor, true);
  } finally {
    term.close();
  }
});

test('live view: Ctrl-Z stops it with the terminal restored, fg brings the view back', { skip: tmuxMissing }, async () => {
  const term = await Terminal.open(100, 30);
  try {
    term.type('node live-driver.js');
    await term.waitScreen('the first frame', (l) => frameOf(l) >= 1);
    term.key('C-z');
    const stopped = await term.waitScreen('the job stopped', (l) => l.some((x) => /Stopped +node live-driver\.js/.test(x)) && l.at(-1) === '$');
    assert.deepEqual(term.flags().alternate, false, stopped.join('\n'));
    assert.equal(term.flags().cursor, true);
    term.type(CHECK);
    await term.waitScreen('the tty modes while stopped', (l) => l.some((x) => x.trim() === SANE));
    term.type('fg');
    const again = await term.waitScreen('the view again', (l) => frameOf(l) >= 1 && l.some((x) => x.startsWith('total')));
    assert.equal(term.flags().alternate, true);
    assert.equal(term.flags().cursor, false);
    await term.waitScreen('frames after fg', (l) => frameOf(l) > frameOf(again));
    term.key('q');
    const back = await term.shellBack();
    assert.equal(back.exit, '0');
    assert.equal(back.modes, SANE);
  } finally {
    term.close();
  }
});

test('live view: an exception restores the terminal before anything prints it, so the message stays on screen', { skip: tmuxMissing }, async () => {
  const term = await Terminal.open(100, 30);
  try {
    // Node's own report of an uncaught exception, and a command's handler that prints one line and exits
    for (const [flag, message] of [['', 'Error: driver failure on purpose'], [' --own-exception-handler', 'live-driver: driver failure on purpose']] as const) {
      const command = `node live-driver.js --throw-after 3${flag}`;
      term.type(command);
      const back = await term.shellBack();
      const shown = afterCommand(back.before, command);
      assert.ok(shown.some((l) => l.includes(message)), shown.join('\n'));
      assert.equal(back.exit, '1');
      assert.equal(back.modes, SANE);
      assert.equal(term.flags().cursor, true);
    }
  } finally {
    term.close();
  }
});

test('live view: SIGTERM restores the terminal, then ends the process as the signal would, or leaves it to the command\'s own handler', { skip: tmuxMissing }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trk-live-'));
  const term = await Terminal.open(100, 30);
  try {
    // bash reports a job ended by a signal (Terminated); the driver itself prints nothing
    for (const [flag, status, shell] of [['', '143', ['Terminated', '$']], [' --own-sigterm', '0', ['$']]] as const) {
      const pidFile = path.join(dir, `pid${flag.trim()}`);
      const command = `node live-driver.js --pid-file ${pidFile}${flag}`;
      term.type(command);
      await term.waitScreen('the first frame', (l) => frameOf(l) >= 1);
      process.kill(Number(fs.readFileSync(pidFile, 'utf8')), 'SIGTERM');
      const back = await term.shellBack();
      assert.deepEqual(afterCommand(back.before, command), shell, `${flag}: nothing printed`);
      assert.equal(back.exit, status, flag);
      assert.equal(back.modes, SANE);
      assert.equal(term.flags().cursor, true);
    }
  } finally {
    term.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
