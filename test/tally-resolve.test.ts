/**
 * --resolve's NameCache against the system's real resolver: /etc/hosts
 * through getnameinfo, an address with no name, the bounds (LRU, lookups in
 * flight), and a DNS server that never answers (in a private mount and
 * network namespace, as root).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NameCache } from '../src/tally/resolve.js';
import { REPO_ROOT } from './helpers/paths.js';

/** What the system resolver calls 127.0.0.1 (/etc/hosts' first name for it: localhost on Debian). */
const LOOPBACK_NAME = 'localhost';

test('127.0.0.1 is named from /etc/hosts: unknown at first (never waits), known once the lookup is back, asked once', async () => {
  const names: string[] = [];
  const cache = new NameCache();
  const stop = cache.onName((addr, name) => names.push(`${addr}=${name}`));
  assert.equal(cache.name('127.0.0.1'), undefined);
  assert.equal(cache.stats.inFlight, 1);
  await cache.settled();
  assert.equal(cache.name('127.0.0.1'), LOOPBACK_NAME);
  assert.equal(cache.name('127.0.0.1'), LOOPBACK_NAME);
  assert.equal(cache.stats.lookups, 1);
  assert.equal(cache.stats.named, 1);
  assert.deepEqual(names, [`127.0.0.1=${LOOPBACK_NAME}`]);
  stop();
});

test('an address with no name stays the address, and the no is remembered', async () => {
  const cache = new NameCache();
  // TEST-NET-1 (RFC 5737): no PTR record anywhere, and not in /etc/hosts
  assert.equal(cache.name('192.0.2.1'), undefined);
  await cache.settled();
  assert.equal(cache.name('192.0.2.1'), undefined);
  assert.equal(cache.stats.lookups, 1);
  assert.equal(cache.stats.named, 0);
  assert.equal(cache.stats.unnamed + cache.stats.timedOut >= 1, true);
});

test('text that is not an address (a MAC, a subnet) is never looked up', async () => {
  const cache = new NameCache();
  assert.equal(cache.name('68:a3:c4:f4:84:1e'), undefined);
  assert.equal(cache.name('10.1.8.0/24'), undefined);
  assert.equal(cache.stats.lookups, 0);
});

test('lookups in flight are capped, the rest wait their turn; the LRU drops the least recently used answer', async () => {
  const cache = new NameCache({ capacity: 2, maxInFlight: 1 });
  cache.name('127.0.0.1');
  cache.name('192.0.2.1');
  cache.name('192.0.2.2');
  cache.name('192.0.2.2'); // already waiting: not queued twice
  assert.equal(cache.stats.inFlight, 1);
  assert.equal(cache.stats.queued, 2);
  await cache.settled();
  assert.equal(cache.stats.lookups, 3);
  // three answers into a cache of two: 127.0.0.1, answered first, went
  assert.equal(cache.stats.evicted, 1);
  assert.equal(cache.name('127.0.0.1'), undefined);
  assert.equal(cache.stats.lookups, 4);
  await cache.settled();
  assert.equal(cache.name('127.0.0.1'), LOOPBACK_NAME);
});

const unshareUnavailable = ((): string | false => {
  if (process.getuid?.() !== 0) return 'the dead-resolver test needs root (a private mount and network namespace)';
  const probe = spawnSync('unshare', ['-m', '-n', 'true']);
  return probe.status === 0 ? false : `unshare -m -n does not work here: ${probe.error?.message ?? probe.stderr}`;
})();

function runAgainstDeadResolver(env: NodeJS.ProcessEnv): {
  first: { a: null; b: null; ms: number };
  afterTimeout: { timedOut: number; inFlight: number; queued: number; name: null; ms: number };
  settled: { inFlight: number; lookups: number; ms: number; queries: number };
  resOptions: string;
} {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trk-resolv-'));
  try {
    const resolvConf = path.join(dir, 'resolv.conf');
    fs.writeFileSync(resolvConf, 'nameserver 127.0.0.1\n');
    const script = path.join(REPO_ROOT, 'dist/test/fixtures/resolve-blackhole.js');
    const run = spawnSync(
      'unshare',
      ['-m', '-n', 'sh', '-c', 'ip link set lo up && mount --bind "$1" /etc/resolv.conf && exec "$2" "$3"', 'sh', resolvConf, process.execPath, script],
      { encoding: 'utf8', env, timeout: 30000 },
    );
    assert.equal(run.status, 0, run.stderr);
    return JSON.parse(run.stdout);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('a DNS server that never answers: name() still answers at once, the lookup times out, and its thread is held only as long as the resolver waits', { skip: unshareUnavailable }, () => {
  const env = { ...process.env };
  delete env.RES_OPTIONS;
  // our timeout (1 s) also bounds glibc's wait (RES_OPTIONS), which would be 5 s per try, two tries
  const bounded = runAgainstDeadResolver(env);
  assert.equal(bounded.first.a, null);
  assert.equal(bounded.first.b, null);
  assert.ok(bounded.first.ms < 50, `name() took ${bounded.first.ms} ms`);
  assert.equal(bounded.resOptions, 'timeout:1 attempts:1');
  assert.ok(bounded.settled.queries >= 1, 'no query reached the dead server');
  assert.ok(bounded.settled.ms < 4000, `the lookups took ${bounded.settled.ms} ms`);
  assert.equal(bounded.settled.inFlight, 0);
  assert.equal(bounded.settled.lookups, 2);

  // an operator's RES_OPTIONS wins: glibc waits 3 s, and the slot stays taken after our 1 s timeout
  const slow = runAgainstDeadResolver({ ...env, RES_OPTIONS: 'timeout:3 attempts:1' });
  assert.equal(slow.resOptions, 'timeout:3 attempts:1');
  assert.equal(slow.afterTimeout.timedOut, 1);
  assert.equal(slow.afterTimeout.name, null);
  assert.equal(slow.afterTimeout.inFlight, 1, 'a timed-out lookup must keep its slot until getnameinfo returns');
  assert.equal(slow.afterTimeout.queued, 1);
  assert.ok(slow.settled.ms >= 3000, `glibc gave up after ${slow.settled.ms} ms, sooner than RES_OPTIONS says`);
  assert.equal(slow.settled.inFlight, 0);
});
