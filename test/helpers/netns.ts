/**
 * A throw-away network namespace joined to the host by a veth pair, so live
 * capture tests can send known traffic on a real interface that nothing else
 * uses: the namespace end sends, the host end is where we capture.
 *
 *    host                         namespace NAME
 *    HOSTIF 10.X.Y.1/24  <--veth-->  PEERIF 10.X.Y.2/24
 *
 * IPv6 is switched off on both ends and the neighbours are static, so the
 * only packets on the wire are the ones a test sends (no router
 * solicitations, no ARP), and counts can be asserted exactly.
 */
import { execFile, execFileSync, spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface Netns {
  name: string;
  /** The host end: capture here. */
  hostIf: string;
  /** The end inside the namespace. */
  peerIf: string;
  hostIp: string;
  peerIp: string;
  hostMac: string;
  peerMac: string;
  /**
   * Run a command inside the namespace; resolves with its stdout, rejects on a
   * non-zero exit. Asynchronous, so a capture in this process keeps running.
   */
  run(cmd: string, args: string[], timeoutMs?: number): Promise<string>;
  /** Start a command inside the namespace without waiting. */
  start(cmd: string, args: string[], options?: SpawnOptions): ChildProcess;
  destroy(): void;
}

/** Why live tests cannot run here, or false when they can (root, and `ip netns` works). */
export function netnsUnavailable(): string | false {
  if (process.getuid?.() !== 0) return 'live capture tests need root (they create a network namespace and a veth pair)';
  const probe = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return `'ip netns' does not work here: ${probe.error?.message ?? probe.stderr.trim()}`;
  return false;
}

let serial = 0;

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function macOf(ns: string | undefined, ifName: string): string {
  const args = ns ? ['-n', ns, '-j', 'link', 'show', ifName] : ['-j', 'link', 'show', ifName];
  const info = JSON.parse(execFileSync('ip', args, { encoding: 'utf8' })) as Array<{ address: string }>;
  return info[0]!.address;
}

/** Namespaces left by a test process that died without cleaning up (a crash skips exit handlers). */
function removeStaleNamespaces(): void {
  const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  for (const m of list.matchAll(/^trkns(\d+)([a-z])\b/gm)) {
    if (existsSync(`/proc/${m[1]}`)) continue;
    spawnSync('ip', ['link', 'del', `trkh${m[1]}${m[2]}`], { stdio: 'ignore' });
    spawnSync('ip', ['netns', 'del', `trkns${m[1]}${m[2]}`], { stdio: 'ignore' });
  }
}

/** A /24 in 10.0.0.0/8 that no interface on the host uses yet. */
function freeSubnet(): string {
  const used = execFileSync('ip', ['-4', '-o', 'addr', 'show'], { encoding: 'utf8' });
  for (let i = 0; i < 1000; i++) {
    const candidate = `10.${200 + ((process.pid + i) % 50)}.${(serial * 7 + i) % 250}`;
    if (!used.includes(` ${candidate}.`)) return candidate;
  }
  throw new Error('no free 10.x.y.0/24 for the test namespace');
}

/** Names stay short: interface names are limited to 15 bytes ("trkh" + pid + a letter). */
export function createNetns(): Netns {
  removeStaleNamespaces();
  const id = `${process.pid}${String.fromCharCode(97 + (serial++ % 26))}`;
  const name = `trkns${id}`;
  const hostIf = `trkh${id}`;
  const peerIf = `trkp${id}`;
  const subnet = freeSubnet();
  const hostIp = `${subnet}.1`;
  const peerIp = `${subnet}.2`;
  const destroy = (): void => {
    // deleting the namespace takes the veth pair with it, but asynchronously: delete the host end too
    spawnSync('ip', ['link', 'del', hostIf], { stdio: 'ignore' });
    spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
  };
  try {
    ip('netns', 'add', name);
    ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', peerIf, 'netns', name);
    execFileSync('sysctl', ['-qw', `net.ipv6.conf.${hostIf}.disable_ipv6=1`]);
    execFileSync('ip', ['netns', 'exec', name, 'sysctl', '-qw', `net.ipv6.conf.${peerIf}.disable_ipv6=1`]);
    ip('addr', 'add', `${hostIp}/24`, 'dev', hostIf);
    ip('-n', name, 'addr', 'add', `${peerIp}/24`, 'dev', peerIf);
    ip('link', 'set', hostIf, 'up');
    ip('-n', name, 'link', 'set', peerIf, 'up');
    ip('-n', name, 'link', 'set', 'lo', 'up');
    const hostMac = macOf(undefined, hostIf);
    const peerMac = macOf(name, peerIf);
    ip('neigh', 'replace', peerIp, 'lladdr', peerMac, 'dev', hostIf, 'nud', 'permanent');
    ip('-n', name, 'neigh', 'replace', hostIp, 'lladdr', hostMac, 'dev', peerIf, 'nud', 'permanent');
    return {
      name,
      hostIf,
      peerIf,
      hostIp,
      peerIp,
      hostMac,
      peerMac,
      async run(cmd, args, timeoutMs = 20000) {
        const { stdout } = await execFileAsync('ip', ['netns', 'exec', name, cmd, ...args], {
          encoding: 'utf8',
          timeout: timeoutMs,
          maxBuffer: 16 * 1024 * 1024,
        });
        return stdout;
      },
      start(cmd, args, options = {}) {
        return spawn('ip', ['netns', 'exec', name, cmd, ...args], { stdio: 'ignore', ...options });
      },
      destroy,
    };
  } catch (err) {
    destroy();
    throw err;
  }
}

/** Give the veth a moment to carry packets (a freshly upped link drops the first few). */
export async function waitCarrier(ns: Netns): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const state = readFileSync(`/sys/class/net/${ns.hostIf}/operstate`, 'utf8').trim();
    if (state === 'up') return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Polls `done` every 20 ms until it holds; fails with `why()` after `timeoutMs`. */
export async function waitUntil(done: () => boolean, why: () => string, timeoutMs = 15000): Promise<void> {
  for (let waited = 0; !done(); waited += 20) {
    if (waited >= timeoutMs) throw new Error(why());
    await new Promise((r) => setTimeout(r, 20));
  }
}
