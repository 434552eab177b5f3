/** The address writers against Node's own IPv6 text, and the pkt / human formatters' details: ts, flags, vlan, escaping. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ipv4Text, ipv6Text, macText } from '../src/format/addr.js';
import { tcpFlagLetters, tcpdumpFlags } from '../src/format/names.js';
import { writePktJson } from '../src/format/pkt-json.js';
import { writePktHuman } from '../src/format/pkt-human.js';
import { decodeHex, formatted } from './helpers/packets.js';

/** WHATWG URL normalises IPv6 hosts to RFC 5952 (in all-hex form). */
const nodeIPv6 = (b: Buffer): string => new URL(`http://[${[...Array(8).keys()].map((i) => b.readUInt16BE(i * 2).toString(16)).join(':')}]/`).hostname.slice(1, -1);

test('IPv6 text agrees with Node on random addresses and zero-run edge cases', () => {
  const cases: Buffer[] = [];
  for (let i = 0; i < 3000; i++) {
    const b = randomBytes(16);
    // zero random groups so runs of every length and position occur
    for (let g = 0; g < 8; g++) if (Math.random() < 0.5) b.writeUInt16BE(0, g * 2);
    cases.push(b);
  }
  for (const text of ['::', '::1', '1::', '1:0:0:2:0:0:0:3', '1:0:0:2:0:0:3:4', '1:0:1:0:1:0:1:0', '0:1:0:0:0:1:0:0', 'fe80::1', '2001:db8::ff00:42:8329'])
    cases.push(Buffer.from(new URL(`http://[${text}]/`).hostname.slice(1, -1).split(':').length === 8 ? text.split(':').map((g) => g.padStart(4, '0')).join('') : expand(text), 'hex'));
  for (const b of cases) {
    if (b.readUInt32BE(0) === 0 && b.readUInt32BE(4) === 0 && b.readUInt32BE(8) === 0xffff) continue;
    assert.equal(ipv6Text(b), nodeIPv6(b), b.toString('hex'));
  }
});

function expand(text: string): string {
  const [head, tail] = text.split('::') as [string, string | undefined];
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  return [...h, ...Array(8 - h.length - t.length).fill('0'), ...t].map((g) => g.padStart(4, '0')).join('');
}

test('IPv6 exact texts: first longest run on a tie, no :: for one zero group, IPv4-mapped in dotted form', () => {
  assert.equal(ipv6Text(Buffer.from(expand('1:0:0:2:0:0:3:4'), 'hex')), '1::2:0:0:3:4');
  assert.equal(ipv6Text(Buffer.from(expand('2001:db8:0:1:1:1:1:1'), 'hex')), '2001:db8:0:1:1:1:1:1');
  assert.equal(ipv6Text(Buffer.from('00000000000000000000ffffc0000201', 'hex')), '::ffff:192.0.2.1');
  assert.equal(ipv6Text(Buffer.from('000000000000000000000000c0000201', 'hex')), '::c000:201');
  assert.equal(ipv6Text(Buffer.from('20010DB8000000000000000000000001', 'hex')), '2001:db8::1');
});

test('MAC and IPv4 text', () => {
  assert.equal(macText(Buffer.from('68a3c4f4841e', 'hex')), '68:a3:c4:f4:84:1e');
  assert.equal(macText(Buffer.from('000102030a0f', 'hex')), '00:01:02:03:0a:0f');
  assert.equal(ipv4Text(Buffer.from([0, 9, 10, 255])), '0.9.10.255');
  assert.equal(ipv4Text(Buffer.from([100, 99, 199, 200])), '100.99.199.200');
});

test('TCP flags: FSRPAUEC letters for the record, tcpdump letters for people', () => {
  assert.equal(tcpFlagLetters(0x12), 'SA');
  assert.equal(tcpFlagLetters(0xff), 'FSRPAUEC');
  assert.equal(tcpFlagLetters(0), '');
  assert.equal(tcpdumpFlags(0x12), 'S.');
  assert.equal(tcpdumpFlags(0x18), 'P.');
  assert.equal(tcpdumpFlags(0xc2), 'SEW');
  assert.equal(tcpdumpFlags(0), 'none');
});

// lan-incident.pcap: IP 10.10.1.20.45684 > 192.0.2.80.80: Flags [S], seq 4130277022, win 64240, … length 0
const TCP_SYN = '5ac234a99798327213b6831a08004500003c048d4000400668c10a0a0114c0000250b2740050f62f069e00000000a002faf0cd9c0000020405b40402080ac0e1d502000000000103030a';

test('ts is the exact decimal of seconds and fraction: µs, ns, none', () => {
  const p = decodeHex(1, TCP_SYN);
  const ts = (): string => /"ts":([0-9.]+)/.exec(formatted(writePktJson, p))![1]!;
  assert.equal(ts(), '1399212353.740897');
  p.tsFrac = 7;
  assert.equal(ts(), '1399212353.000007');
  p.tsDigits = 9;
  p.tsFrac = 999999999;
  p.tsSec = 4294967295;
  assert.equal(ts(), '4294967295.999999999');
  p.tsDigits = 0;
  p.tsFrac = 0;
  assert.equal(ts(), '4294967295');
});

test('the whole record: flags with no bit set is "", seq/win present, no ack without ACK, field order as DESIGN.md', () => {
  const p = decodeHex(1, TCP_SYN);
  p.tcpFlags = 0;
  assert.equal(
    formatted(writePktJson, p),
    '{"type":"pkt","ts":1399212353.740897,"len":74,"caplen":74,"smac":"32:72:13:b6:83:1a","dmac":"5a:c2:34:a9:97:98","eth":"ipv4","src":"10.10.1.20","dst":"192.0.2.80","proto":"tcp","ttl":64,"sport":45684,"dport":80,"flags":"","win":64240,"seq":4130277022}\n',
  );
});

test('interface names and errors are JSON-escaped; unusual ethertypes in hex; unnamed protocols as numbers', () => {
  const p = decodeHex(1, TCP_SYN, 40);
  p.ifName = 'eth"0\\\n\u0001 ünï';
  const line = formatted(writePktJson, p);
  const record = JSON.parse(line) as Record<string, unknown>;
  assert.equal(record.if, 'eth"0\\\n\u0001 ünï');
  assert.equal(record.err, 'truncated tcp header');
  assert.ok(line.startsWith('{"type":"pkt","ts":1399212353.740897,"if":"eth\\"0\\\\\\n\\u0001 ünï","len":74,"caplen":40,'));
  // LLDP frame header (ethertype 0x88cc)
  const lldp = decodeHex(1, '0180c200000e001b21a1b2c388cc0207040012345678');
  assert.equal((JSON.parse(formatted(writePktJson, lldp)) as Record<string, unknown>).eth, '0x88cc');
  // the SYN with protocol 6 changed to 99 (a protocol without a name)
  const other = decodeHex(1, TCP_SYN.slice(0, 46) + '63' + TCP_SYN.slice(48));
  assert.equal((JSON.parse(formatted(writePktJson, other)) as Record<string, unknown>).proto, 99);
});

test('human lines', () => {
  process.env.TZ = 'UTC';
  const syn = decodeHex(1, TCP_SYN);
  assert.equal(formatted(writePktHuman, syn), '2014-05-04 14:05:53.740897 IP 10.10.1.20.45684 > 192.0.2.80.80: tcp [S] win 64240 len 74\n');
  const cut = decodeHex(1, TCP_SYN, 40);
  assert.equal(formatted(writePktHuman, cut), '2014-05-04 14:05:53.740897 IP 10.10.1.20.45684 > 192.0.2.80.80: tcp len 74 caplen 40 [err: truncated tcp header]\n');
  // lan-incident.pcap: ARP, Request who-has 10.10.1.1 tell 10.10.1.20, length 28
  const arp = decodeHex(1, 'ffffffffffff327213b6831a08060001080006040001327213b6831a0a0a01140000000000000a0a0101');
  assert.equal(formatted(writePktHuman, arp), '2014-05-04 14:05:53.740897 ARP who-has 10.10.1.1 tell 10.10.1.20 len 42\n');
  // lan-incident.pcap: IP6 fe80::3072:13ff:feb6:831a > fe80::58c2:34ff:fea9:9798: ICMP6, neighbor solicitation, who has fe80::58c2:34ff:fea9:9798, length 32
  const ns = decodeHex(1, '5ac234a99798327213b6831a86dd6000000000203afffe80000000000000307213fffeb6831afe8000000000000058c234fffea997988700a49300000000fe8000000000000058c234fffea997980101327213b6831a');
  ns.ifName = 'eth0';
  assert.equal(
    formatted(writePktHuman, ns),
    '2014-05-04 14:05:53.740897 eth0 IP6 fe80::3072:13ff:feb6:831a > fe80::58c2:34ff:fea9:9798: icmp6 neighbor solicitation, who has fe80::58c2:34ff:fea9:9798, lla 32:72:13:b6:83:1a len 86\n',
  );
  // bfd_source_port_49152.pcap #1: vlan 11, IP 11.11.11.2.49152 > 11.11.11.1.3784: BFD
  const vlan = decodeHex(1, 'e46d7f54b90894434dc017858100e00b080045e000349d414000ff11b17e0b0b0b020b0b0b01c0000ec80020000020c803188000000180000001000186a0000186a000000000');
  vlan.tsDigits = 9;
  vlan.tsFrac = 5;
  assert.equal(formatted(writePktHuman, vlan), '2014-05-04 14:05:53.000000005 vlan 11 IP 11.11.11.2.49152 > 11.11.11.1.3784: udp len 70\n');
  // TZ is honoured (a new second, so the per-second date cache is refilled)
  process.env.TZ = 'Asia/Kolkata';
  syn.tsSec += 1;
  assert.equal(formatted(writePktHuman, syn), '2014-05-04 19:35:54.740897 IP 10.10.1.20.45684 > 192.0.2.80.80: tcp [S] win 64240 len 74\n');
});
