/**
 * trk-tally on a live interface (a namespace and a veth pair): an interval
 * is written when the clock passes its end, even though the network went
 * quiet and the capture engine keeps polling; SIGINT then adds nothing partial.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createNetns, netnsUnavailable, waitCarrier, waitUntil } from './helpers/netns.js';
import { BIN } from './helpers/paths.js';

test('live: a quiet interface still ends its intervals on time', { skip: netnsUnavailable() }, async () => {
  const ns = createNetns();
  try {
    await waitCarrier(ns);
    const child = spawn(process.execPath, [BIN('trk-tally'), '-i', ns.hostIf, '--by', 'host', '--every', '1s'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    await waitUntil(() => /listening on/.test(err) || child.exitCode !== null, () => `no 'listening on': ${err}`);
    await ns.run('ping', ['-c', '3', '-i', '0.2', '-q', ns.hostIp]);
    // then silence: the interval of the pings must come out within a few seconds, whole
    await waitUntil(() => /"total":true/.test(out), () => `no interval written while the interface was quiet: ${out} ${err}`, 5000);
    assert.doesNotMatch(out, /"partial":true/);
    assert.match(out, new RegExp(`"key":"${ns.peerIp.replace(/\./g, '\\.')}","pkts":\\d+`));
    child.kill('SIGINT');
    assert.equal(await exited, 0, err);
  } finally {
    ns.destroy();
  }
});
