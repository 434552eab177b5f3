/**
 * PcapWriter: what it writes must read back identically in tcpdump, tshark and
 * capinfos — the same frames, times and lengths — and it must wait for a slow stream.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { PcapWriter } from '../src/capture/pcap-writer.js';

// Three frames from the shared corpus's lan-incident.pcap (packets 8, 24 and 31).
// 09:42:01.801698 ARP, Request who-has 10.10.1.1 tell 10.10.1.20, length 28
const ARP = Buffer.from('ffffffffffff327213b6831a08060001080006040001327213b6831a0a0a01140000000000000a0a0101', 'hex');
// 09:42:02.653931 IP 10.10.1.20.45684 > 192.0.2.80.80: Flags [S], seq 4130277022, win 64240, options [mss 1460,sackOK,TS val 3236025602 ecr 0,nop,wscale 10], length 0
const SYN = Buffer.from(
  '5ac234a99798327213b6831a08004500003c048d4000400668c10a0a0114c0000250b2740050f62f069e00000000a002faf0cd9c0000020405b40402080ac0e1d502000000000103030a',
  'hex',
);
// 09:42:02.663292 IP 192.0.2.80.80 > 10.10.1.20.45684: Flags [.], seq 206:1654, ack 79, win 64, options [nop,nop,TS val 2726992023 ecr 3236025611], length 1448: HTTP
// (its first 108 bytes; 1514 on the wire)
const DATA_HEAD = Buffer.from(
  '327213b6831a5ac234a997980800450005dc770340003f06f1aac00002500a0a01140050b2744ff8944df62f06ed80100040d33c00000101080aa28a9897c0e1d50bcc634166473ad31c157316eb526425191e67749239bff0520cb48e41e8ae580a64bf9fee6d90b5843810',
  'hex',
);

const ENV = { ...process.env, TZ: 'UTC' };
const has = (tool: string): boolean => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;
const noTcpdump = has('tcpdump') ? false : 'tcpdump is not installed (apt-get install tcpdump)';
const noTshark = has('tshark') && has('capinfos') ? false : 'tshark is not installed (apt-get install tshark)';

function tmpFile(name: string): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'trk-pcapw-')), name);
}

/** The three frames at their original times, into a file with the given options. */
async function writeSample(file: string, opts: { snaplen?: number; nanosecond?: boolean }): Promise<void> {
  const w = new PcapWriter(fs.createWriteStream(file), { linktype: 1, ...opts });
  const scale = opts.nanosecond ? 1000 : 1;
  w.write(1795340521, 801698 * scale, ARP);
  w.write(1795340522, 653931 * scale + (opts.nanosecond ? 7 : 0), SYN);
  w.write(1795340522, 663292 * scale, DATA_HEAD, 1514);
  await w.end();
}

test('the file header and first record are classic little-endian pcap, byte for byte', async () => {
  const file = tmpFile('a.pcap');
  await writeSample(file, { snaplen: 256 });
  const bytes = fs.readFileSync(file);
  assert.equal(bytes.length, 24 + 16 + 42 + 16 + 74 + 16 + 108);
  assert.equal(
    bytes.subarray(0, 40).toString('hex'),
    'd4c3b2a1' + '0200' + '0400' + '00000000' + '00000000' + '00010000' + '01000000' +
      // ts_sec 1795340521, ts_usec 801698, incl_len 42, orig_len 42
      'e9b8026b' + 'a23b0c00' + '2a000000' + '2a000000',
  );
  assert.deepEqual(bytes.subarray(40, 82), ARP);
});

test('tcpdump reads back every frame as it was captured', { skip: noTcpdump }, async () => {
  const file = tmpFile('b.pcap');
  await writeSample(file, { snaplen: 256 });
  // absolute sequence numbers: tcpdump has not seen this flow's SYN-ACK in the file
  const r = spawnSync('tcpdump', ['-nn', '-r', file], { env: ENV });
  assert.equal(r.status, 0, r.stderr.toString());
  assert.equal(
    r.stdout.toString(),
    '09:42:01.801698 ARP, Request who-has 10.10.1.1 tell 10.10.1.20, length 28\n' +
      '09:42:02.653931 IP 10.10.1.20.45684 > 192.0.2.80.80: Flags [S], seq 4130277022, win 64240, options [mss 1460,sackOK,TS val 3236025602 ecr 0,nop,wscale 10], length 0\n' +
      '09:42:02.663292 IP 192.0.2.80.80 > 10.10.1.20.45684: Flags [.], seq 1341690957:1341692405, ack 4130277101, win 64, options [nop,nop,TS val 2726992023 ecr 3236025611], length 1448: HTTP\n',
  );
});

test('the snaplen cuts frames but keeps their wire length; nanosecond times survive (tshark, capinfos)', { skip: noTshark }, async () => {
  const file = tmpFile('c.pcap');
  await writeSample(file, { snaplen: 60, nanosecond: true });
  const fields = spawnSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'frame.len', '-e', 'frame.cap_len', '-e', 'eth.src'], { env: ENV });
  assert.equal(fields.status, 0, fields.stderr.toString());
  assert.equal(
    fields.stdout.toString(),
    '1795340521.801698000\t42\t42\t32:72:13:b6:83:1a\n' +
      '1795340522.653931007\t74\t60\t32:72:13:b6:83:1a\n' +
      '1795340522.663292000\t1514\t60\t5a:c2:34:a9:97:98\n',
  );
  const info = spawnSync('capinfos', ['-t', '-E', '-l', '-c', '-a', '-e', file], { env: ENV });
  assert.equal(info.status, 0, info.stderr.toString());
  const text = info.stdout.toString();
  assert.match(text, /File type:\s+Wireshark\/tcpdump\/\.\.\. - nanosecond pcap\n/);
  assert.match(text, /Number of packets:\s+3\n/);
  assert.match(text, /First packet time:\s+2026-11-22 09:42:01\.801698000\n/);
  assert.match(text, /Last packet time:\s+2026-11-22 09:42:02\.663292000\n/);
  assert.match(text, /File encapsulation:\s+Ethernet\n/);
  assert.match(text, /Packet size limit:\s+file hdr: 60 bytes\n/);
});

test('a slow stream makes write() return false, and drain() lets the rest through in order', async () => {
  const received: Buffer[] = [];
  const slow = new Writable({
    highWaterMark: 1,
    write(chunk: Buffer, _enc, done) {
      received.push(chunk);
      setTimeout(done, 1);
    },
  });
  const w = new PcapWriter(slow, { linktype: 1 });
  // 2 MiB of SYN records overflows the 1 MiB chunk twice
  const records = Math.ceil((2 * 1024 * 1024) / (16 + SYN.length));
  let waits = 0;
  for (let i = 0; i < records; i++) {
    if (!w.write(1000 + i, i % 1_000_000, SYN)) {
      waits++;
      await w.drain();
    }
  }
  await w.end();
  assert.equal(waits, 2);
  const all = Buffer.concat(received);
  assert.equal(all.length, 24 + records * (16 + SYN.length));
  const last = 24 + (records - 1) * (16 + SYN.length);
  assert.equal(all.readUInt32LE(last), 1000 + records - 1);
  assert.deepEqual(all.subarray(last + 16), SYN);
});

test('impossible records are refused before anything is written', () => {
  const sink = new Writable({ write: (_c, _e, done) => done() });
  const w = new PcapWriter(sink, { linktype: 1 });
  assert.throws(() => w.write(1, 1_000_000, ARP), /bad timestamp fraction 1000000/);
  assert.throws(() => w.write(-1, 0, ARP), /bad timestamp seconds -1/);
  assert.throws(() => w.write(1, 0, ARP, 41), /wire length 41 is shorter than the 42-byte frame/);
  assert.throws(() => new PcapWriter(sink, { linktype: 1, snaplen: 0 }), /bad snaplen 0/);
});
