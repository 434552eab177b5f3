/**
 * gen-capture: the same seed gives the same bytes, the mix is the one its
 * header promises, and every length field agrees with the frame as tshark
 * reads it (so no decoder can disagree about where a layer ends).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateLanCapture } from '../scripts/gen-capture.js';

const PACKETS = 20_000;
const noTshark = spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0 ? false : 'tshark is not installed (apt-get install tshark)';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trk-gen-'));
const sha = (file: string): string => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

test('a seed always gives the same capture, another seed another one', async () => {
  await generateLanCapture(path.join(dir, 'a.pcap'), { packets: 3000, seed: 5 });
  await generateLanCapture(path.join(dir, 'b.pcap'), { packets: 3000, seed: 5 });
  await generateLanCapture(path.join(dir, 'c.pcap'), { packets: 3000, seed: 6 });
  assert.equal(sha(path.join(dir, 'a.pcap')), sha(path.join(dir, 'b.pcap')));
  assert.notEqual(sha(path.join(dir, 'a.pcap')), sha(path.join(dir, 'c.pcap')));
});

test('snaplen 256: every record keeps at most 256 bytes, frames are 60 to 1518 bytes on the wire', async () => {
  const file = path.join(dir, 'snap.pcap');
  await generateLanCapture(file, { packets: PACKETS, seed: 1 });
  const b = fs.readFileSync(file);
  assert.equal(b.readUInt32LE(16), 256);
  let n = 0;
  let maxLen = 0;
  let minLen = Infinity;
  for (let o = 24; o < b.length; n++) {
    const caplen = b.readUInt32LE(o + 8);
    const len = b.readUInt32LE(o + 12);
    assert.equal(caplen, Math.min(len, 256));
    maxLen = Math.max(maxLen, len);
    minLen = Math.min(minLen, len);
    o += 16 + caplen;
  }
  assert.equal(n, PACKETS);
  assert.equal(minLen, 60);
  assert.ok(maxLen === 1514 || maxLen === 1518, `longest frame ${maxLen}`);
});

test('lengths agree with the frame in every packet, and the mix is LAN-like (tshark)', { skip: noTshark }, async () => {
  const file = path.join(dir, 'mix.pcap');
  await generateLanCapture(file, { packets: PACKETS, seed: 1 });
  const fields = ['frame.len', 'vlan.id', 'ip.len', 'ipv6.plen', 'udp.length', 'tcp.len', 'tcp.hdr_len', 'arp.opcode', 'icmpv6.type'];
  const r = spawnSync('tshark', ['-n', '-r', file, '-T', 'fields', '-E', 'occurrence=f', ...fields.flatMap((f) => ['-e', f])], { maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, r.stderr.toString());
  const rows = r.stdout.toString().trim().split('\n');
  assert.equal(rows.length, PACKETS);
  const count = { tcp: 0, udp: 0, v6: 0, vlan: 0, arp: 0, nd: 0, ra: 0 };
  rows.forEach((row, i) => {
    const [len, vlan, ipLen, ip6Len, udpLen, tcpLen, tcpHdr, arp, icmp6] = row.split('\t');
    const frame = Number(len);
    const l2 = vlan ? 18 : 14;
    const l3 = ipLen ? Number(ipLen) : ip6Len ? 40 + Number(ip6Len) : undefined;
    // a frame longer than its packet is only Ethernet padding up to 60 bytes
    if (l3 !== undefined) assert.ok(l2 + l3 === frame || (frame === 60 && l2 + l3 < 60), `packet ${i + 1}: frame ${frame}, IP ${l3}`);
    if (udpLen) assert.equal(Number(udpLen), l3! - (ipLen ? 20 : 40), `packet ${i + 1}: UDP length`);
    if (tcpLen) assert.equal(Number(tcpLen) + Number(tcpHdr), l3! - (ipLen ? 20 : 40), `packet ${i + 1}: TCP length`);
    if (tcpHdr) count.tcp++;
    if (udpLen) count.udp++;
    if (ip6Len) count.v6++;
    if (vlan) count.vlan++;
    if (arp) count.arp++;
    if (icmp6 === '135' || icmp6 === '136') count.nd++;
    if (icmp6 === '134') count.ra++;
  });
  const share = (k: keyof typeof count): number => count[k] / PACKETS;
  assert.ok(share('tcp') > 0.72 && share('tcp') < 0.84, `TCP ${share('tcp')}`);
  assert.ok(share('udp') > 0.08 && share('udp') < 0.18, `UDP ${share('udp')}`);
  assert.ok(share('v6') > 0.15 && share('v6') < 0.3, `IPv6 ${share('v6')}`);
  assert.ok(share('vlan') > 0.005 && share('vlan') < 0.05, `VLAN ${share('vlan')}`);
  assert.ok(share('arp') > 0.02 && share('arp') < 0.06, `ARP ${share('arp')}`);
  assert.ok(count.nd > 100 && count.ra > 20, `NS/NA ${count.nd}, RA ${count.ra}`);
});
