/**
 * Filters on capture files: the BPF interpreter on hand-made programs, and
 * the whole path (tcpdump compiles, trk runs) against tcpdump itself on real
 * captures of every link type trk decodes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BpfProgram } from '../src/capture/bpf.js';
import { FilteringSink, compileFilter } from '../src/capture/filter.js';
import { openCaptureInput, readCapture } from '../src/capture/file.js';
import type { PacketSink } from '../src/capture/source.js';
import { LAN_CAPTURE, REPO_ROOT, TCPDUMP_CORPUS, noCorpus } from './helpers/paths.js';

const noTcpdump = spawnSync('tcpdump', ['--version']).error ? 'tcpdump is not installed (apt-get install tcpdump)' : false;
const SAMPLE = path.join(REPO_ROOT, 'samples/sample.pcap');

const BYTES = Buffer.from([0x45, 0x00, 0x00, 0x54, 0xff, 0x01]);
const run = (insns: number[]): boolean => new BpfProgram(insns).matches(BYTES, 0, BYTES.length, 84);

test('BPF: loads, arithmetic, jumps and returns as libpcap runs them', () => {
  // ldb [0]; and #0xf0; jeq #0x40 → accept, else reject
  assert.equal(run([0x30, 0, 0, 0, 0x54, 0, 0, 0xf0, 0x15, 0, 1, 0x40, 0x06, 0, 0, 65535, 0x06, 0, 0, 0]), true);
  // ld [2] (a 32-bit word: 0x0054ff01); jgt #0x0054ff00 unsigned
  assert.equal(run([0x20, 0, 0, 2, 0x25, 0, 1, 0x0054ff00, 0x06, 0, 0, 1, 0x06, 0, 0, 0]), true);
  // ldxb 4*([0]&0xf) = 20; txa; jeq #20
  assert.equal(run([0xb1, 0, 0, 0, 0x87, 0, 0, 0, 0x15, 0, 1, 20, 0x06, 0, 0, 1, 0x06, 0, 0, 0]), true);
  // ld #len (the wire length, 84, not the 6 captured bytes); jeq #84
  assert.equal(run([0x80, 0, 0, 0, 0x15, 0, 1, 84, 0x06, 0, 0, 1, 0x06, 0, 0, 0]), true);
  // st M[3]; ld #0; ld M[3]... A = 0x45 again; sub #0x46 wraps to 0xffffffff; jeq #0xffffffff
  assert.equal(run([0x30, 0, 0, 0, 0x02, 0, 0, 3, 0x00, 0, 0, 0, 0x60, 0, 0, 3, 0x14, 0, 0, 0x46, 0x15, 0, 1, 0xffffffff, 0x06, 0, 0, 1, 0x06, 0, 0, 0]), true);
});

test('BPF: a load past the captured bytes or a division by zero rejects the packet', () => {
  // ldh [5] needs bytes 5 and 6 of 6: out of bounds
  assert.equal(run([0x28, 0, 0, 5, 0x06, 0, 0, 1]), false);
  // ldb [x + 5] with x = 1
  assert.equal(run([0x01, 0, 0, 1, 0x50, 0, 0, 5, 0x06, 0, 0, 1]), false);
  // ld #1; div #0
  assert.equal(run([0x00, 0, 0, 1, 0x34, 0, 0, 0, 0x06, 0, 0, 1]), false);
  // ldx #0; ld #1; mod x
  assert.equal(run([0x01, 0, 0, 0, 0x00, 0, 0, 1, 0x9c, 0, 0, 0, 0x06, 0, 0, 1]), false);
});

test('BPF: programs that could run off the end are refused', () => {
  assert.throws(() => new BpfProgram([0x15, 5, 0, 1, 0x06, 0, 0, 1]), /jump out of the program/);
  assert.throws(() => new BpfProgram([0x02, 0, 0, 16, 0x06, 0, 0, 1]), /scratch memory index 16/);
  assert.throws(() => new BpfProgram([0x00, 0, 0, 1]), /does not end with a return/);
  assert.throws(() => BpfProgram.fromTcpdump('3\n6 0 0 1\n'), /not a BPF program/);
});

test('a bad expression is an InputError with tcpdump\'s reason', { skip: noTcpdump || undefined }, () => {
  assert.throws(() => compileFilter('tcp port', 1), { name: 'InputError', message: "bad filter 'tcp port': can't parse filter expression: syntax error" });
  assert.throws(() => compileFilter('tcp', 147), /bad filter 'tcp': .*/); // a user link type has no ip
});

/** Packets a filter passes, read by trk from `file`. */
async function trkCount(file: string, filter: string): Promise<number> {
  let n = 0;
  const counter: PacketSink = { packet: () => void n++, drain: () => undefined };
  await readCapture(openCaptureInput(file), file, new FilteringSink(filter, counter));
  return n;
}

/** Packets the same filter passes in tcpdump: written to a file by tcpdump, counted by trk's reader. */
async function tcpdumpCount(file: string, filter: string, dir: string): Promise<number | undefined> {
  const out = path.join(dir, 'filtered.pcap');
  const r = spawnSync('tcpdump', ['-r', file, '-w', out, filter], { encoding: 'utf8' });
  if (r.status !== 0 && !/truncated|bogus|too big|dump file/.test(r.stderr)) return undefined;
  let n = 0;
  await readCapture(openCaptureInput(out), out, { packet: () => void n++, drain: () => undefined });
  return n;
}

const FILTERS = ['ip', 'ip6', 'tcp', 'udp port 53 or icmp', 'arp or icmp6', 'not tcp', 'tcp[tcpflags] & tcp-syn != 0', 'greater 200', 'vlan', 'ether broadcast'];

test('filters on files pass exactly the packets tcpdump passes', { skip: noCorpus || noTcpdump || undefined }, async () => {
  const manifest = fs.readFileSync(path.join(TCPDUMP_CORPUS, 'MANIFEST.tsv'), 'utf8').trim().split('\n').map((l) => l.split('\t'));
  // every link type we decode, a few files of each (one in three of the Ethernet ones)
  let ether = 0;
  const corpus = manifest
    .filter(([, link]) => ['linux-sll', 'null', 'ppp', 'rawip', 'rawip4', 'rawip6', 'chdlc'].includes(link!) || (link === 'ether' && ether++ % 3 === 0))
    .map(([name]) => path.join(TCPDUMP_CORPUS, name!));
  const files = [SAMPLE, LAN_CAPTURE, ...corpus];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trk-filter-'));
  let compared = 0;
  const differences: string[] = [];
  for (const file of files) {
    for (const filter of FILTERS) {
      const theirs = await tcpdumpCount(file, filter, dir);
      if (theirs === undefined) continue; // tcpdump cannot compile it for this link type (e.g. ether on raw IP)
      const ours = await trkCount(file, filter);
      compared++;
      if (ours !== theirs) differences.push(`${path.basename(file)} '${filter}': trk ${ours}, tcpdump ${theirs}`);
    }
  }
  fs.rmSync(dir, { recursive: true });
  assert.deepEqual(differences, []);
  assert.ok(compared > 500, `only ${compared} comparisons`);
});

test('trk-capture -r FILE FILTER and -f FILTER: the filtered records', { skip: noTcpdump || undefined }, () => {
  const trk = (args: string[]) => spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin/trk-capture.js'), ...args], { encoding: 'utf8' });
  const words = trk(['-r', SAMPLE, 'tcp', 'port', '8080']);
  const flag = trk(['-r', SAMPLE, '-f', 'tcp port 8080']);
  assert.equal(words.status, 0, words.stderr);
  assert.equal(words.stdout, flag.stdout);
  const records = words.stdout.trim().split('\n').map((l) => JSON.parse(l) as { sport: number; dport: number });
  assert.equal(records.length, 18);
  for (const r of records) assert.ok(r.sport === 8080 || r.dport === 8080);
  const bad = trk(['-r', SAMPLE, 'tcp port']);
  assert.equal(bad.status, 1);
  assert.equal(bad.stdout, '');
  assert.equal(bad.stderr, "trk-capture: bad filter 'tcp port': can't parse filter expression: syntax error\n");
});
