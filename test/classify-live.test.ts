/**
 * trk-classify on a live interface: a network namespace joined by a veth
 * pair, a host in it that ARPs, announces itself and changes its MAC, and
 * the alerts that must come out of it while it happens; then SIGINT, and
 * the last STAT line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createNetns, netnsUnavailable, waitCarrier, waitUntil, type Netns } from './helpers/netns.js';
import { BIN } from './helpers/paths.js';

const unavailable = netnsUnavailable();

test('live: ARP from a host, its MAC change and gratuitous ARP are alerted as they happen; SIGINT ends with a STAT line', { skip: unavailable }, async () => {
  const ns: Netns = createNetns();
  try {
    await waitCarrier(ns);
    const subnet = ns.hostIp.replace(/\.1$/, '.0/24');
    // the kernel announces a new MAC with a gratuitous ARP when arp_notify is on
    await ns.run('sysctl', ['-qw', `net.ipv4.conf.${ns.peerIf}.arp_notify=1`]);
    const child = spawn(
      process.execPath,
      [BIN('trk-classify'), '-i', ns.hostIf, '--net', subnet, '--alerts-only', '-A', 'new_station', '--stat-interval', '3600'],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TZ: 'UTC' } },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    await waitUntil(() => /listening on/.test(err) || child.exitCode !== null, () => `no 'listening on' from trk-classify: ${err}`);
    assert.equal(child.exitCode, null, err);
    const waitFor = (pattern: RegExp, what: string): Promise<void> =>
      waitUntil(() => pattern.test(out), () => `${what} not alerted within 10 s; output so far:\n${out}\n${err}`, 10000);
    // 1. the host asks for the gateway: a new station
    await ns.run('ip', ['neigh', 'del', ns.hostIp, 'dev', ns.peerIf]);
    await ns.run('ping', ['-c', '1', '-W', '2', ns.hostIp]);
    await waitFor(new RegExp(`ALERT ARP new_station .*arp_sip=${ns.peerIp.replace(/\./g, '\\.')},`), 'the new station');
    // 2. it takes another MAC: the kernel's gratuitous ARP is both gratuitous and a changed MAC
    await ns.run('ip', ['link', 'set', ns.peerIf, 'address', '02:00:00:00:be:ef']);
    await waitFor(/ALERT ARP mac_changed .*arp_smac=02:00:00:00:be:ef.*old_mac=/, 'the MAC change');
    assert.match(out, /ALERT ARP gratuitous .*arp_smac=02:00:00:00:be:ef/);
    // 3. and back: a flip-flop
    await ns.run('ip', ['link', 'set', ns.peerIf, 'address', ns.peerMac]);
    await waitFor(/ALERT ARP flipflop /, 'the flip-flop');
    child.kill('SIGINT');
    assert.equal(await exited, 0, err);
    // every line is an ALERT, but the last, the STAT line of the partial interval
    const lines = out.trim().split('\n');
    assert.match(lines.at(-1)!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d STAT arp=\d+ .*arp_mac_changed=1 arp_gratuitous=[1-9]/);
    assert.ok(lines.slice(0, -1).every((l) => / ALERT ARP /.test(l)), out);
    assert.match(err, new RegExp(`trk-classify: \\d+ packets captured on ${ns.hostIf}`));
  } finally {
    ns.destroy();
  }
});
