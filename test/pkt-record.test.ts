/**
 * PktRecordReader: a pkt record read back must be the packet that was written.
 * The main test decodes the whole capture corpus and checks, packet by packet,
 * that writePktJson(read(writePktJson(p))) is the same line and that every
 * field the record carries came back into the Packet; the others check key
 * order, unknown keys, escapes, lines that are not pkt records (against
 * JSON.parse, on thousands of damaged records) and the problems reported for
 * unusable values.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { LAN_CAPTURE, TCPDUMP_CORPUS, noCorpus } from './helpers/paths.js';
import { decodeHex, formatted } from './helpers/packets.js';
import { openCaptureInput, readCapture } from '../src/capture/file.js';
import { decodePacket } from '../src/decode/index.js';
import { LINKTYPE_ETHERNET, MAX_ND_PREFIXES, MAX_VLAN_TAGS, Packet } from '../src/decode/packet.js';
import { ipv4Text, ipv6Text, macText } from '../src/format/addr.js';
import { writePktJson } from '../src/format/pkt-json.js';
import { LineOutput } from '../src/io/output.js';
import { PktRecordReader } from '../src/io/pkt-record.js';

const line = (p: Packet): string => formatted(writePktJson, p).replace(/\n$/, '');

/** Read one line given as a string; the line is put in the middle of a buffer, as a line reader hands it over. */
function read(reader: PktRecordReader, text: string): boolean {
  const bytes = Buffer.from(`garbage before\n${text}\n123456789 after`, 'utf8');
  const start = Buffer.byteLength('garbage before\n');
  return reader.read(bytes, start, start + Buffer.byteLength(text));
}

/**
 * What a Packet holds that a pkt record carries, addresses as text, for
 * comparing two packets. Not the VLAN tags and ND prefixes beyond those the
 * packet keeps (MAX_VLAN_TAGS, MAX_ND_PREFIXES): the record does not list them.
 */
function facts(p: Packet): Record<string, unknown> {
  const at = (off: number, text: (b: Buffer, o: number) => string): string | null => (off >= 0 ? text(p.data, off) : null);
  const ip = p.ipVersion === 4 ? ipv4Text : ipv6Text;
  const prefixes: string[] = [];
  for (let i = 0; i < Math.min(p.ndPrefixCount, MAX_ND_PREFIXES); i++) prefixes.push(`${ipv6Text(p.data, p.ndPrefixOffs[i]!)}/${p.ndPrefixLens[i]!}`);
  const arpAddresses = p.arpShaOff >= 0;
  return {
    ts: [p.tsSec, p.tsFrac, p.tsDigits],
    ifName: p.ifName,
    len: p.len,
    caplen: p.caplen,
    smac: at(p.smacOff, macText),
    dmac: at(p.dmacOff, macText),
    vlans: [...p.vlans.subarray(0, Math.min(p.vlanCount, MAX_VLAN_TAGS))],
    ethertype: p.ethertype,
    ipVersion: p.ipVersion,
    src: at(p.srcOff, ip),
    dst: at(p.dstOff, ip),
    proto: p.proto,
    ttl: p.ttl,
    frag: p.frag,
    ports: [p.sport, p.dport],
    tcp: p.tcpFlags >= 0 ? [p.tcpFlags, p.win, p.seq, p.ack] : null,
    icmp: [p.itype, p.icode],
    arp: [p.arpOp, arpAddresses ? macText(p.data, p.arpShaOff) : null, arpAddresses ? ipv4Text(p.data, p.arpSpaOff) : null,
      arpAddresses ? macText(p.data, p.arpThaOff) : null, arpAddresses ? ipv4Text(p.data, p.arpTpaOff) : null],
    ndTarget: at(p.ndTargetOff, ipv6Text),
    ndPrefixes: prefixes,
    ndLla: at(p.ndLlaOff, macText),
    err: p.err,
  };
}

/** Every capture of the corpus trk can read (and the LAN capture), as decoded packets' lines and facts. */
async function corpusRecords(): Promise<{ file: string; line: string; facts: Record<string, unknown>; vlanCount: number; ndPrefixCount: number }[]> {
  const files = fs
    .readdirSync(TCPDUMP_CORPUS)
    .filter((name) => /\.pcap(ng)?(\.gz)?$/.test(name))
    .map((name) => path.join(TCPDUMP_CORPUS, name));
  files.push(LAN_CAPTURE);
  const records: Awaited<ReturnType<typeof corpusRecords>> = [];
  const out = new LineOutput(new Writable({ write: (_c, _e, cb) => cb() }));
  for (const file of files) {
    try {
      await readCapture(openCaptureInput(file), file, {
        packet(p) {
          decodePacket(p);
          out.pos = 0;
          writePktJson(out, p);
          records.push({
            file: path.basename(file),
            line: out.buf.toString('utf8', 0, out.pos - 1),
            facts: facts(p),
            vlanCount: p.vlanCount,
            ndPrefixCount: p.ndPrefixCount,
          });
        },
        drain: () => undefined,
      });
    } catch {
      // a file readCapture cannot read at all is not part of this test
    }
  }
  return records;
}

let corpus: Promise<Awaited<ReturnType<typeof corpusRecords>>> | undefined;
const corpusOnce = (): ReturnType<typeof corpusRecords> => (corpus ??= corpusRecords());

test('every packet of the corpus reads back into the same Packet and writes the same line', { skip: noCorpus }, async (t) => {
  const records = await corpusOnce();
  const reader = new PktRecordReader();
  const differences: string[] = [];
  const seen = new Set<string>();
  for (const r of records) {
    if (!read(reader, r.line)) {
      differences.push(`${r.file}: not read: ${r.line}`);
      continue;
    }
    if (reader.problem !== undefined) differences.push(`${r.file}: problem "${reader.problem}": ${r.line}`);
    const again = line(reader.packet);
    if (again !== r.line) differences.push(`${r.file}:\n  written ${r.line}\n  reread  ${again}`);
    assert.deepEqual(facts(reader.packet), r.facts, `${r.file}: ${r.line}`);
    for (const key of Object.keys(JSON.parse(r.line) as object)) seen.add(key);
    if (r.vlanCount > MAX_VLAN_TAGS || r.ndPrefixCount > MAX_ND_PREFIXES) seen.add('(more than the record lists)');
  }
  t.diagnostic(`${records.length} packets from ${new Set(records.map((r) => r.file)).size} files; keys seen: ${[...seen].sort().join(' ')}`);
  assert.deepEqual(differences.slice(0, 20), []);
  assert.ok(records.length > 5000, `${records.length} packets`);
  // the corpus must exercise every field of the record, or this test proves less than it says
  for (const key of ['ts', 'if', 'len', 'caplen', 'smac', 'dmac', 'vlan', 'eth', 'src', 'dst', 'proto', 'ttl', 'frag', 'sport', 'dport', 'flags', 'win', 'seq', 'ack', 'itype', 'icode', 'arp', 'nd', 'err'])
    assert.ok(seen.has(key), `no record in the corpus has ${key}`);
});

/** A small deterministic PRNG (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled<T>(items: T[], rnd: () => number): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

function shuffleKeys(value: unknown, rnd: () => number): unknown {
  if (Array.isArray(value)) return value.map((v) => shuffleKeys(v, rnd));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(shuffled(Object.entries(value), rnd).map(([k, v]) => [k, shuffleKeys(v, rnd)]));
}

test('keys in any order, with whitespace, give the same Packet', { skip: noCorpus }, async () => {
  const records = await corpusOnce();
  const reader = new PktRecordReader();
  const rnd = random(7);
  let checked = 0;
  for (const r of records) {
    const object = JSON.parse(r.line) as Record<string, unknown>;
    // JSON.parse loses ts digits (a double): put the exact text back in place of the number
    const ts = /"ts":([0-9.]+)/.exec(r.line)![1]!;
    let text = JSON.stringify(shuffleKeys(object, rnd)).replace(/"ts":[^,}]+/, `"ts":${ts}`);
    if (checked % 3 === 1) text = JSON.stringify(JSON.parse(text.replace(/"ts":[^,}]+/, '"ts":0')), null, '\t').replace(/\n/g, ' \r\t').replace(/"ts": 0/, `"ts": ${ts}`);
    assert.ok(read(reader, text), text);
    assert.equal(reader.problem, undefined, text);
    assert.deepEqual(facts(reader.packet), r.facts, text);
    checked++;
  }
  assert.ok(checked > 5000);
});

const TCP_SYN =
  '0050568a1a2b000c29d3c1c6080045000034a7e540004006d2ddc0a80064c0a800c8c35c0050b0d7f1b800000000800220004ed30000020405b40103030801010402';
const synLine = (): string => line(decodeHex(LINKTYPE_ETHERNET, TCP_SYN));

test('unknown keys with values of every JSON type and depth are skipped', () => {
  const reader = new PktRecordReader();
  const plain = synLine();
  const deep = '['.repeat(5000) + '{"a":"]}"}' + ']'.repeat(5000);
  const extras = [
    '"dir":"out","svc":"http","local":"192.168.0.100","alerts":["wrongnet","gratuitous"]',
    `"x":{"a":[1,-2.5e-3,{"b":null,"c":[true,false,{}]},[]],"s":"}\\"],{\\\\","u":"\\u00e9\\ud83d\\ude00"}`,
    `"deep":${deep}`,
    '"n":-0.0E+12,"t":true,"f":false,"z":null,"e":"","o":{},"a":[]',
    '"longer than any key we know":1,"tÿpe":"tally","\\u0074y":"pkt"',
  ];
  for (const extra of extras) {
    for (const text of [plain.replace('{', `{${extra},`), plain.replace(/}$/, `,${extra}}`), plain.replace(',"len"', `,${extra},"len"`)]) {
      assert.ok(read(reader, text), text.slice(0, 200));
      assert.equal(reader.problem, undefined);
      assert.equal(line(reader.packet), plain);
    }
  }
});

test('escapes: if and err decoded in place, escaped keys and values through the second pass, ts still exact', () => {
  const reader = new PktRecordReader();
  const base = '{"type":"pkt","ts":1709542800.123456789,"len":60,"caplen":60';
  assert.ok(read(reader, `${base},"if":"eth\\"0\\\\x","err":"caf\\u00e9 \\ud83d\\ude00"}`));
  assert.equal(reader.packet.ifName, 'eth"0\\x');
  assert.equal(reader.packet.err, 'café 😀');
  assert.equal(reader.problem, undefined);

  // an escape where the reader must see the text: "\u0074s" is "ts", "\u0031" is "1", "\/" is "/"
  const escaped =
    '{"\\u0074ype":"p\\u006bt","\\u0074s":1709542800.123456789,"len":60,"caplen":60,"src":"10.0.0.\\u0031","dst":"10.0.0.\\u0032",' +
    '"nd":{"target":"fe80::\\u0041","prefixes":["2001:db8::\\/64"]},"eth":"ipv\\u0036","if":"\\u00e9th0","x":"\\n"}';
  assert.ok(read(reader, escaped));
  assert.equal(reader.problem, undefined);
  const p = reader.packet;
  assert.deepEqual([p.tsSec, p.tsFrac, p.tsDigits], [1709542800, 123456789, 9]);
  assert.equal(ipv4Text(p.data, p.srcOff), '10.0.0.1');
  assert.equal(ipv4Text(p.data, p.dstOff), '10.0.0.2');
  assert.equal(ipv6Text(p.data, p.ndTargetOff), 'fe80::a');
  assert.equal(p.ifName, 'éth0');
  assert.equal(p.ethertype, 0x86dd);
  assert.equal(p.ndPrefixCount, 1);
  assert.equal(
    line(p),
    '{"type":"pkt","ts":1709542800.123456789,"if":"éth0","len":60,"caplen":60,"eth":"ipv6","src":"10.0.0.1","dst":"10.0.0.2","nd":{"target":"fe80::a","prefixes":["2001:db8::/64"]}}',
  );

  // the second pass keeps what if and err need
  assert.ok(read(reader, `{"\\u0074ype":"pkt","ts":1,"len":1,"caplen":1,"if":"a\\\\b\\"c\\u0001","err":"\\/"}`));
  assert.equal(reader.packet.ifName, 'a\\b"c\u0001');
  assert.equal(reader.packet.err, '/');
  assert.ok(read(reader, `{"\\u0074ype":"pkt","ts":1,"len":1,"caplen":1,"if":"\\u005c\\u0022\\u001f\\ud800"}`));
  assert.equal(reader.packet.ifName, '\\"\u001f\ud800');

  // the escapes JSON requires stay escapes, and no address contains them
  assert.ok(read(reader, `${base},"src":"10.0.0.1\\"","dst":"10.0.0.2"}`));
  assert.equal(reader.problem, 'src is not an IP address');
  assert.ok(read(reader, `${base},"smac":"00:11:22:33:44:55\\n"}`));
  assert.equal(reader.problem, 'smac is not a MAC address');
  // a key that is "type" with an escape is still the type
  assert.equal(read(reader, '{"ty\\u0070e":"tally","len":1}'), false);
});

test('lines that are not pkt records are refused, problem unset', () => {
  const reader = new PktRecordReader();
  assert.ok(read(reader, '{"type":"pkt","ts":1,"len":1,"caplen":1,"src":"x","dst":"10.0.0.1"}'));
  assert.notEqual(reader.problem, undefined);
  const lines = [
    '{"type":"tally","start":1709542800,"end":1709542860,"by":"host","key":"10.0.0.1","pkts":12,"bytes":3400}',
    '2026-01-01 00:00:00 STAT arp=1 arp_wrongnet=0',
    '2026-01-01 00:00:00 ALERT ARP wrongnet ip=10.0.0.9,mac=00:11:22:33:44:55',
    'garbage',
    '',
    '   ',
    '{',
    '{"type":"pkt"',
    '{"type":"pkt",',
    '{"type":"pkt","ts":1709542800.000074,"len":60,"caplen":60,"src":"10.0.0.1","dst":"10.0.0',
    '{}',
    '{"ts":1,"len":1,"caplen":1}',
    '{"type":"PKT"}',
    '{"type":["pkt"]}',
    '{"type":"pkt"} {}',
    '{"type":"pkt"}x',
    '["pkt"]',
    '"pkt"',
    '{"type":"pkt","len":01}',
    '{"type":"pkt","ts":1.}',
    '{"type":"pkt","a":[1,]}',
    '{"type":"pkt","a":tru}',
    '{"type":"pkt","a":"\\x"}',
    '{"type":"pkt","a":"tab\there"}',
    '{"type":"pkt" "a":1}',
    '{"type":"pkt",,"a":1}',
    '{"type":"pkt","a":1,}',
    '{"type":"pkt","arp":{"op":1,}}',
    '{"type":"pkt","arp":{"op" 1}}',
    '{"type":"pkt","nd":{"prefixes":["::/0",]}}',
    '{"type":"pkt","vlan":[1 2]}',
    '{"type":"pkt","type":"tally"}',
    '{"type":"pkt","x":{"y":[}]}}',
  ];
  for (const text of lines) {
    assert.equal(read(reader, text), false, text);
    assert.equal(reader.problem, undefined, text);
  }
  // JSON.parse's rule for a repeated key: the last one counts
  assert.equal(read(reader, '{"type":"tally","type":"pkt","ts":1,"len":1,"caplen":1}'), true);
  assert.equal(read(reader, '{"type":1,"type":"pkt","ts":1,"len":1,"caplen":1}'), true);
  // whitespace JSON allows, and the '\r' of a CRLF line
  assert.ok(read(reader, ' {\t"type" : "pkt" ,"ts":1,"len":1,"caplen":1 }\r'));
  assert.equal(reader.problem, undefined);
});

test('damaged records: accepted exactly when JSON.parse reads a pkt record', { skip: noCorpus }, async () => {
  const records = await corpusOnce();
  const reader = new PktRecordReader();
  const rnd = random(42);
  const alphabet = '{}[]",:\\ .-+eE0123456789abcdefnrtulsx/\t';
  let accepted = 0;
  let refused = 0;
  // what later commands add (trk-classify's annotations) or anything else: nested values of unknown keys
  const extras = [',"dir":"in","svc":"https","alerts":["wrongnet","dad"]', ',"x":{"y":[true,null,{"z":-1.5e3}],"s":"a\\"b"},"e":[]', ''];
  for (let n = 0; n < 30000; n++) {
    const original = records[Math.floor(rnd() * records.length)]!.line.replace(/}$/, `${extras[n % extras.length]!}}`);
    const chars = [...original];
    for (let edits = 1 + Math.floor(rnd() * 3); edits > 0; edits--) {
      const at = Math.floor(rnd() * (chars.length + 1));
      const c = alphabet[Math.floor(rnd() * alphabet.length)]!;
      const kind = rnd();
      if (kind < 0.4) chars.splice(at, 1);
      else if (kind < 0.7) chars.splice(at, 0, c);
      else chars[at] = c;
    }
    const text = chars.join('');
    let isPkt = false;
    try {
      const parsed = JSON.parse(text) as unknown;
      isPkt = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) && (parsed as { type?: unknown }).type === 'pkt';
    } catch {
      // not JSON
    }
    assert.equal(read(reader, text), isPkt, text);
    if (isPkt) accepted++;
    else refused++;
  }
  // both sides must have been exercised
  assert.ok(accepted > 3000 && refused > 3000, `${accepted} accepted, ${refused} refused`);
});

test('unusable values: the field is left out and problem says which', () => {
  const reader = new PktRecordReader();
  const base = '{"type":"pkt","ts":1709542800.5,"len":60,"caplen":60';
  const cases: [fields: string, problem: string, check: (p: Packet) => boolean][] = [
    ['"src":"10.0.0.256","dst":"10.0.0.1"', 'src is not an IP address', (p) => p.srcOff < 0 && p.dstOff < 0 && p.ipVersion === 0],
    ['"src":"10.0.0.1","dst":"10.00.0.1"', 'dst is not an IP address', (p) => p.srcOff < 0],
    ['"src":"10.0.0.1","dst":"10.0.0"', 'dst is not an IP address', (p) => p.srcOff < 0],
    ['"src":"10.0.0.1"', 'src and dst must both be there, of one IP version', (p) => p.srcOff < 0],
    ['"src":"10.0.0.1","dst":"::1"', 'src and dst must both be there, of one IP version', (p) => p.srcOff < 0],
    ['"src":"1::2::3","dst":"::1"', 'src is not an IP address', (p) => p.srcOff < 0],
    ['"src":"12345::","dst":"::1"', 'src is not an IP address', (p) => p.srcOff < 0],
    ['"src":"fe80::1%eth0","dst":"::1"', 'src is not an IP address', (p) => p.srcOff < 0],
    ['"src":"::ffff:1.2.3","dst":"::1"', 'src is not an IP address', (p) => p.srcOff < 0],
    ['"src":"1:2:3:4:5:6:7:8:9","dst":"::1"', 'src is not an IP address', (p) => p.srcOff < 0],
    ['"src":"1:2:3:4:5:6:7::8","dst":"::1"', 'src is not an IP address', (p) => p.srcOff < 0],
    ['"src":10,"dst":"::1"', 'src is not an IP address', (p) => p.srcOff < 0],
    ['"smac":"00:11:22:33:44"', 'smac is not a MAC address', (p) => p.smacOff < 0],
    ['"smac":"00-11-22-33-44-55"', 'smac is not a MAC address', (p) => p.smacOff < 0],
    ['"dmac":"0:1:2:3:4:5"', 'dmac is not a MAC address', (p) => p.dmacOff < 0],
    ['"dmac":"00:11:22:33:44:5g"', 'dmac is not a MAC address', (p) => p.dmacOff < 0],
    ['"ttl":256', 'ttl is not a number from 0 to 255', (p) => p.ttl === -1],
    ['"ttl":"64"', 'ttl is not a number from 0 to 255', (p) => p.ttl === -1],
    ['"ttl":6.5', 'ttl is not a number from 0 to 255', (p) => p.ttl === -1],
    ['"ttl":-1', 'ttl is not a number from 0 to 255', (p) => p.ttl === -1],
    ['"len":"60"', 'len is not a byte count', (p) => p.len === 60], // the earlier len stays
    ['"sport":70000,"dport":80', 'sport is not a port number', (p) => p.sport === -1 && p.dport === -1],
    ['"sport":80', 'sport and dport must both be there', (p) => p.sport === -1],
    ['"flags":"SX","win":1,"seq":1', 'flags is not TCP flag letters from FSRPAUEC', (p) => p.tcpFlags === -1],
    ['"flags":"S","seq":1', 'flags without win and seq', (p) => p.tcpFlags === -1 && p.seq === -1 && p.win === -1],
    ['"seq":4294967296', 'seq is not an unsigned 32-bit number', (p) => p.seq === -1],
    ['"proto":"foo"', 'proto is not a protocol name or number', (p) => p.proto === -1],
    ['"proto":300', 'proto is not a protocol name or number', (p) => p.proto === -1],
    ['"eth":"ipx"', 'eth is not an ethertype', (p) => p.ethertype === -1],
    ['"eth":"0x12345"', 'eth is not an ethertype', (p) => p.ethertype === -1],
    ['"eth":2048', 'eth is not an ethertype', (p) => p.ethertype === -1],
    ['"vlan":5000', 'vlan is not a VLAN id or a list of them', (p) => p.vlanCount === 0],
    ['"vlan":[1,"a"]', 'vlan is not a VLAN id or a list of them', (p) => p.vlanCount === 0],
    ['"frag":"yes"', 'frag is not true or false', (p) => !p.frag],
    ['"itype":8', 'itype and icode must both be there', (p) => p.itype === -1],
    ['"arp":{"op":1,"sha":"00:11:22:33:44:55","spa":"10.0.0.1","tha":"00:00:00:00:00:00"}', 'arp needs op, and sha, spa, tha and tpa all or none', (p) => p.arpOp === 1 && p.arpShaOff < 0],
    ['"arp":{"sha":"00:11:22:33:44:55","spa":"10.0.0.1","tha":"00:00:00:00:00:00","tpa":"10.0.0.2"}', 'arp needs op, and sha, spa, tha and tpa all or none', (p) => p.arpShaOff < 0],
    ['"arp":{"op":1,"sha":"00:11:22:33:44:55","spa":"::1","tha":"00:00:00:00:00:00","tpa":"10.0.0.2"}', 'arp.spa is not an IPv4 address', (p) => p.arpOp === 1 && p.arpSpaOff < 0],
    ['"arp":[1]', 'arp is not an object', (p) => p.arpOp === -1],
    ['"nd":{"target":"10.0.0.1"}', 'nd.target is not an IPv6 address', (p) => p.ndTargetOff < 0],
    ['"nd":{"prefixes":["2001:db8::/64","bad/64","2001:db8:1::/256","2001:db8:2::","2001:db8:3::/064"]}', 'nd.prefixes is not a list of IPv6 prefixes', (p) => p.ndPrefixCount === 1],
    ['"nd":{"lla":"00:11:22:33:44:55:66"}', 'nd.lla is not a MAC address', (p) => p.ndLlaOff < 0],
    ['"if":7', 'if is not a string', (p) => p.ifName === undefined],
    ['"err":{}', 'err is not a string', (p) => p.err === undefined],
  ];
  for (const [fields, problem, check] of cases) {
    const text = `${base},${fields}}`;
    assert.equal(read(reader, text), true, text);
    assert.equal(reader.problem, problem, text);
    assert.ok(check(reader.packet), text);
    // the next record starts clean
    assert.ok(read(reader, `${base}}`));
    assert.equal(reader.problem, undefined);
  }
  assert.ok(read(reader, '{"type":"pkt","len":60,"caplen":60}'));
  assert.equal(reader.problem, 'no ts');
  assert.ok(read(reader, '{"type":"pkt","ts":1,"caplen":60}'));
  assert.equal(reader.problem, 'no len');
  // the first problem is the one reported
  assert.ok(read(reader, `${base},"ttl":300,"src":"x","dst":"10.0.0.1"}`));
  assert.equal(reader.problem, 'ttl is not a number from 0 to 255');
  // null is absent, not a problem
  assert.ok(read(reader, `${base},"src":null,"dst":null,"ttl":null,"vlan":null,"arp":{"op":null},"if":null,"frag":null}`));
  assert.equal(reader.problem, undefined);
  assert.equal(line(reader.packet), '{"type":"pkt","ts":1709542800.5,"len":60,"caplen":60}');
});

test('ts: the decimal as written, exponent forms shifted exactly', () => {
  const reader = new PktRecordReader();
  const cases: [ts: string, sec: number, frac: number, digits: number][] = [
    ['1709542800.000074', 1709542800, 74, 6],
    ['1709542800', 1709542800, 0, 0],
    ['1709542800.123456789', 1709542800, 123456789, 9],
    ['1709542800.500', 1709542800, 500, 3],
    ['0.5', 0, 5, 1],
    ['0', 0, 0, 0],
    ['1.7095428000000741e9', 1709542800, 741, 7],
    ['17095428000000741E-7', 1709542800, 741, 7],
    ['1.5e+9', 1500000000, 0, 0],
    ['5e-3', 0, 5, 3],
    ['0.5e1', 5, 0, 0],
    ['1709542800.1234567890123', 1709542800, 1234567890123, 13],
    ['1709542800.12345678901234567890', 1709542800, 123456789012345, 15],
    ['1709542800.12345678901234567890e0', 1709542800, 123456789012345, 15],
  ];
  for (const [ts, sec, frac, digits] of cases) {
    assert.ok(read(reader, `{"type":"pkt","ts":${ts},"len":1,"caplen":1}`), ts);
    assert.equal(reader.problem, undefined, ts);
    assert.deepEqual([reader.packet.tsSec, reader.packet.tsFrac, reader.packet.tsDigits], [sec, frac, digits], ts);
  }
  for (const ts of ['-1', '1e30', '"1709542800"', '9007199254740993']) {
    assert.ok(read(reader, `{"type":"pkt","ts":${ts},"len":1,"caplen":1}`), ts);
    assert.equal(reader.problem, 'ts is not a non-negative time in seconds', ts);
  }
});

test('numbers: integers written as 60.0 or 6e1 are read, ranges are checked', () => {
  const reader = new PktRecordReader();
  const lens: [text: string, len: number][] = [['60.0', 60], ['6e1', 60], ['6.0E+1', 60], ['-0', 0], ['4294967295', 4294967295], ['0', 0]];
  for (const [text, len] of lens) {
    assert.ok(read(reader, `{"type":"pkt","ts":1,"len":${text},"caplen":1}`), text);
    assert.equal(reader.problem, undefined, text);
    assert.equal(reader.packet.len, len, text);
  }
  // every width of seq, on both sides of the 4-digit steps
  for (let n = 1; n <= 4294967295; n = n * 7 + 3) {
    assert.ok(read(reader, `{"type":"pkt","ts":1,"len":1,"caplen":1,"flags":"A","win":${n % 65536},"seq":${n},"ack":${n}}`));
    assert.deepEqual([reader.packet.seq, reader.packet.ack, reader.packet.win], [n, n, n % 65536]);
  }
});

test('addresses in every text form: IPv6 (RFC 4291), IPv4, MACs in either case, near the line end or not', () => {
  const reader = new PktRecordReader();
  const rnd = random(3);
  const v6forms = (bytes: Buffer): string[] => {
    const groups = [...Array(8).keys()].map((i) => bytes.readUInt16BE(i * 2));
    const forms = [ipv6Text(bytes), groups.map((g) => g.toString(16).padStart(4, '0')).join(':'), ipv6Text(bytes).toUpperCase()];
    // every run of zero groups as "::", not only the longest
    for (let start = 0; start < 8; start++) {
      for (let stop = start + 1; stop <= 8 && groups[stop - 1] === 0; stop++) {
        forms.push(`${groups.slice(0, start).map((g) => g.toString(16)).join(':')}::${groups.slice(stop).map((g) => g.toString(16)).join(':')}`);
      }
    }
    // the last 32 bits as a dotted quad
    forms.push(`${groups.slice(0, 6).map((g) => g.toString(16)).join(':')}:${[...bytes.subarray(12)].join('.')}`);
    return forms;
  };
  let checked = 0;
  for (let n = 0; n < 3000; n++) {
    const bytes = Buffer.alloc(16);
    for (let g = 0; g < 8; g++) if (rnd() < 0.5) bytes.writeUInt16BE(Math.floor(rnd() * 65536) >> Math.floor(rnd() * 16), g * 2);
    if (n % 10 === 0) {
      bytes.fill(0, 0, 10);
      bytes.writeUInt16BE(0xffff, 10); // IPv4-mapped
    }
    for (const form of v6forms(bytes)) {
      for (const text of [
        `{"type":"pkt","ts":1,"len":1,"caplen":1,"src":"${form}","dst":"${form}","nd":{"target":"${form}","prefixes":["${form}/64"]},"pad":0}`,
        `{"type":"pkt","ts":1,"len":1,"caplen":1,"src":"::","nd":{"prefixes":["${form}/64"]},"dst":"${form}"}`,
      ]) {
        assert.ok(read(reader, text), text);
        assert.equal(reader.problem, undefined, text);
        const p = reader.packet;
        assert.equal(p.ipVersion, 6);
        assert.ok(p.data.subarray(p.dstOff, p.dstOff + 16).equals(bytes), text);
        assert.ok(p.data.subarray(p.ndPrefixOffs[0]!, p.ndPrefixOffs[0]! + 16).equals(bytes), text);
        checked++;
      }
    }
  }
  assert.ok(checked > 10000);
  for (const text of ['0.0.0.0', '255.255.255.255', '10.1.8.60', '1.22.133.4', '192.0.2.1']) {
    for (const record of [`{"type":"pkt","ts":1,"len":1,"caplen":1,"src":"${text}","dst":"${text}","pad":0}`, `{"type":"pkt","ts":1,"len":1,"caplen":1,"dst":"${text}","src":"${text}"}`]) {
      assert.ok(read(reader, record));
      assert.equal(reader.problem, undefined);
      assert.equal(ipv4Text(reader.packet.data, reader.packet.srcOff), text);
    }
  }
  for (const bad of ['', '1', '1.2.3', '1.2.3.4.5', '1..2.3', '.1.2.3', '1.2.3.', '256.1.1.1', '01.1.1.1', '1.1.1.1000', '1.2.3.4 ', ' 1.2.3.4', '1.2.3.x',
    ':', ':::', '1:', ':1', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7:8::', '::1:2:3:4:5:6:7:8', '12345::', '::g', 'fe80::1 ', '1:2:3:4:5:6:1.2.3.4:1',
    '1:2:3:4:5:6:7:1.2.3.4', '::1.2.3', '::1.2.3.4.5', '::256.1.1.1', '1.2.3.4::', ':: 1']) {
    for (const record of [`{"type":"pkt","ts":1,"len":1,"caplen":1,"src":"${bad}","dst":"::","pad":"xxxxxxxx"}`, `{"type":"pkt","ts":1,"len":1,"caplen":1,"dst":"::","src":"${bad}"}`]) {
      assert.ok(read(reader, record), record);
      assert.equal(reader.problem, 'src is not an IP address', record);
    }
  }
  assert.ok(read(reader, '{"type":"pkt","ts":1,"len":1,"caplen":1,"smac":"AA:bb:Cc:0D:e0:FF","dmac":"aa:bb:cc:dd:ee:ff"}'));
  assert.equal(macText(reader.packet.data, reader.packet.smacOff), 'aa:bb:cc:0d:e0:ff');
  assert.equal(macText(reader.packet.data, reader.packet.dmacOff), 'aa:bb:cc:dd:ee:ff');
});

test('packets of every shape the writer can write read back to the same line', () => {
  // the corpus is what real captures hold; this covers the rest of what writePktJson can be given
  const reader = new PktRecordReader();
  const rnd = random(11);
  const int = (n: number): number => Math.floor(rnd() * n);
  const p = new Packet();
  p.data = Buffer.alloc(512);
  for (let n = 0; n < 20000; n++) {
    for (let i = 0; i < p.data.length; i++) p.data[i] = rnd() < 0.3 ? 0 : int(256);
    p.resetLayers();
    p.tsDigits = int(10);
    p.tsSec = int(2 ** 32);
    p.tsFrac = int(10 ** p.tsDigits);
    p.ifName = rnd() < 0.2 ? ['eth0', 'wlan0', 'ÿ"\\\n', ''][int(4)] : undefined;
    p.len = int(70000);
    p.caplen = int(70000);
    if (rnd() < 0.8) p.smacOff = int(400);
    if (rnd() < 0.8) p.dmacOff = int(400);
    p.vlanCount = rnd() < 0.3 ? 1 + int(6) : 0;
    for (let i = 0; i < MAX_VLAN_TAGS; i++) p.vlans[i] = int(4096);
    if (rnd() < 0.8) p.ethertype = int(65536);
    if (rnd() < 0.8) {
      p.ipVersion = rnd() < 0.5 ? 4 : 6;
      p.srcOff = int(400);
      p.dstOff = int(400);
      if (rnd() < 0.2) p.data.fill(0, p.srcOff, p.srcOff + 10).writeUInt16BE(0xffff, p.srcOff + 10); // IPv4-mapped
      p.proto = int(256);
      p.ttl = int(256);
      p.frag = rnd() < 0.1;
    }
    if (rnd() < 0.5) {
      p.sport = int(65536);
      p.dport = int(65536);
    }
    if (rnd() < 0.4) {
      p.tcpFlags = int(256);
      p.win = int(65536);
      p.seq = int(2 ** 32);
      p.ack = rnd() < 0.5 ? int(2 ** 32) : -1;
    }
    if (rnd() < 0.2) {
      p.itype = int(256);
      p.icode = int(256);
    }
    if (rnd() < 0.2) {
      p.arpOp = int(65536);
      if (rnd() < 0.7) [p.arpShaOff, p.arpSpaOff, p.arpThaOff, p.arpTpaOff] = [int(400), int(400), int(400), int(400)];
    }
    if (rnd() < 0.2) {
      if (rnd() < 0.5) p.ndTargetOff = int(400);
      if (rnd() < 0.5) p.ndLlaOff = int(400);
      p.ndPrefixCount = rnd() < 0.5 ? int(12) : 0;
      for (let i = 0; i < MAX_ND_PREFIXES; i++) {
        p.ndPrefixOffs[i] = int(400);
        p.ndPrefixLens[i] = int(256);
      }
    }
    if (rnd() < 0.1) p.err = ['truncated tcp header', 'bad ipv4 total length', 'ünïcode "quoted"'][int(3)];
    const text = line(p);
    assert.ok(read(reader, text), text);
    assert.equal(reader.problem, undefined, text);
    assert.equal(line(reader.packet), text);
  }
});

test('the packet a record fills: addresses in a scratch buffer from offset 0, no link type, the same object every time', () => {
  const reader = new PktRecordReader();
  const first = reader.packet;
  assert.ok(read(reader, synLine()));
  const p = reader.packet;
  assert.equal(p, first);
  assert.equal(p.start, 0);
  assert.equal(p.linktype, -1);
  assert.equal(ipv4Text(p.data, p.srcOff), '192.168.0.100');
  assert.equal(ipv4Text(p.data, p.dstOff), '192.168.0.200');
  assert.equal(macText(p.data, p.smacOff), '00:0c:29:d3:c1:c6');
  // interned: a repeated if or err is the same string, not a new one per record
  assert.ok(read(reader, '{"type":"pkt","ts":1,"if":"eth0","len":1,"caplen":1,"err":"truncated tcp header"}'));
  const ifName = p.ifName;
  assert.ok(read(reader, '{"type":"pkt","ts":1,"if":"wlan0","len":1,"caplen":1}'));
  assert.equal(p.ifName, 'wlan0');
  assert.equal(p.err, undefined);
  assert.ok(read(reader, '{"type":"pkt","ts":1,"if":"eth0","len":1,"caplen":1,"err":"truncated tcp header"}'));
  assert.equal(p.ifName, ifName);
  assert.equal(p.err, 'truncated tcp header');
  // deeper stacks than the packet keeps are counted, as the decoder counts them
  assert.ok(read(reader, '{"type":"pkt","ts":1,"len":1,"caplen":1,"vlan":[1,2,3,4,5,6],"nd":{"prefixes":["::1/1","::2/2","::3/3","::4/4","::5/5","::6/6","::7/7","::8/8","::9/9"]}}'));
  assert.equal(p.vlanCount, 6);
  assert.deepEqual([...p.vlans], [1, 2, 3, 4]);
  assert.equal(p.ndPrefixCount, 9);
  assert.equal(ipv6Text(p.data, p.ndPrefixOffs[7]!), '::8');
});

test("trk-classify's dir and svc are read as the reader's dir and svc, not Packet fields", () => {
  const reader = new PktRecordReader();
  const read = (line: string): boolean => {
    const b = Buffer.from(line);
    return reader.read(b, 0, b.length);
  };
  const base = '{"type":"pkt","ts":1,"len":60,"caplen":60,"src":"10.10.1.20","dst":"192.0.2.80","proto":"tcp","sport":40000,"dport":443';
  for (const [dir, code] of [['in', 1], ['out', 2], ['internal', 3], ['transit', 4], ['martian', 5]] as const) {
    assert.equal(read(`${base},"dir":"${dir}","svc":"https","local":"10.10.1.20","alerts":["gratuitous"]}`), true);
    assert.deepEqual([reader.dir, reader.svc, reader.problem], [code, 'https', undefined], dir);
  }
  assert.equal(read(`${base}}`), true);
  assert.deepEqual([reader.dir, reader.svc], [0, undefined], 'absent: cleared from the record before');
  assert.equal(read(`${base},"svc":"domain","dir":"sideways"}`), true);
  assert.deepEqual([reader.dir, reader.svc, reader.problem], [0, 'domain', 'dir is not a direction']);
});
