/**
 * The decoders on real packets: each is a frame from the shared corpus (the
 * file and packet number are named), with tcpdump -nn's reading above it.
 * Malformed cases are those packets cut or altered byte by byte, as said.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeHex, formatted } from './helpers/packets.js';
import { writePktJson } from '../src/format/pkt-json.js';
import { ipv4Text, ipv6Text, macText } from '../src/format/addr.js';
import { Packet } from '../src/decode/packet.js';
import { decodePacket } from '../src/decode/index.js';

const ETHERNET = 1;
const json = (p: Packet): unknown => JSON.parse(formatted(writePktJson, p));
const TS = { type: 'pkt', ts: 1399212353.740897 };

// lan-incident.pcap #… : IP 10.10.1.20.45684 > 192.0.2.80.80: Flags [S], seq 4130277022, win 64240, options [mss 1460,sackOK,TS val 3236025602 ecr 0,nop,wscale 10], length 0
const TCP_SYN =
  '5ac234a99798327213b6831a08004500003c048d4000400668c10a0a0114c0000250b2740050f62f069e00000000a002faf0cd9c0000020405b40402080ac0e1d502000000000103030a';

test('Ethernet IPv4 TCP SYN: every field of the record', () => {
  const p = decodeHex(ETHERNET, TCP_SYN);
  assert.deepEqual(json(p), {
    ...TS, len: 74, caplen: 74, smac: '32:72:13:b6:83:1a', dmac: '5a:c2:34:a9:97:98', eth: 'ipv4',
    src: '10.10.1.20', dst: '192.0.2.80', proto: 'tcp', ttl: 64, sport: 45684, dport: 80,
    flags: 'S', win: 64240, seq: 4130277022,
  });
  assert.equal(p.err, undefined);
});

test('seq and ack above 2^31 stay unsigned', () => {
  // the SYN turned SYN-ACK (flags byte 47 = 0x12), seq and ack set to ffffffff and 80000000 (bytes 38–45)
  const synAck = TCP_SYN.slice(0, 94) + '12' + TCP_SYN.slice(96);
  const hex = synAck.slice(0, 76) + 'ffffffff80000000' + synAck.slice(92);
  const p = decodeHex(ETHERNET, hex);
  assert.equal(p.seq, 4294967295);
  assert.equal(p.ack, 2147483648);
});

test('ack is reported only when the ACK flag is set', () => {
  // the SYN above: its acknowledgement field holds 0, which means nothing without ACK
  assert.equal(decodeHex(ETHERNET, TCP_SYN).ack, -1);
  const synAck = TCP_SYN.slice(0, 94) + '12' + TCP_SYN.slice(96);
  assert.equal(decodeHex(ETHERNET, synAck).ack, 0);
});

test('truncated at each header: what came before stays, err names the layer', () => {
  const cases: [number, string, Record<string, unknown>][] = [
    [10, 'truncated ethernet header', {}],
    [14 + 19, 'truncated ipv4 header', { eth: 'ipv4' }],
    [14 + 20 + 3, 'truncated tcp header', { src: '10.10.1.20', proto: 'tcp' }],
    [14 + 20 + 19, 'truncated tcp header', { sport: 45684, dport: 80 }],
  ];
  for (const [caplen, err, expected] of cases) {
    const p = decodeHex(ETHERNET, TCP_SYN, caplen);
    const record = json(p) as Record<string, unknown>;
    assert.equal(record.err, err, `caplen ${caplen}`);
    assert.equal(record.caplen, caplen);
    for (const [k, v] of Object.entries(expected)) assert.equal(record[k], v, `caplen ${caplen} ${k}`);
    assert.equal(record.flags, undefined, `caplen ${caplen}: no flags from a cut header`);
  }
});

test('TCP data offset below 5 is an error, fields before it stay', () => {
  // the SYN with its data offset byte a0 changed to 40
  const hex = TCP_SYN.slice(0, 92) + '40' + TCP_SYN.slice(94);
  const p = decodeHex(ETHERNET, hex);
  assert.equal(p.err, 'bad tcp data offset');
  assert.equal(p.sport, 45684);
  assert.equal(p.tcpFlags, 0x02);
});

// ipv4_invalid_hdr_length.pcap #1: IP bad-hlen 16
test('IPv4 header length below 20: addresses kept, no transport, err', () => {
  const p = decodeHex(ETHERNET, 'c0d68236032bf04da23d5da3080044000054f1a60000401145948cd309ce2d217f9c98b7003500406ecb92aa01200001000000000001037777770774637064756d70036f7267000001000100002904d000000000000c000a00088bc0e5f53e713bbd');
  assert.equal(p.err, 'bad ipv4 header length');
  assert.equal(ipv4Text(p.data, p.srcOff), '140.211.9.206');
  assert.equal(p.proto, 17);
  assert.equal(p.sport, -1);
});

test('IPv4 total length ends the packet: Ethernet padding is not payload', () => {
  // lan ARP-sized IPv4: the SYN with total length cut to 20+3 bytes: the TCP header is then "truncated" by the IP length, not by the capture
  const hex = TCP_SYN.slice(0, 32) + '0017' + TCP_SYN.slice(36);
  const p = decodeHex(ETHERNET, hex);
  assert.equal(p.err, 'truncated tcp header');
  assert.equal(p.sport, -1);
});

// babel_update_oobr.pcap #2: IP 10.0.0.1 > 0.234.154.214: ip-proto-17 (offset 0x0d40, a non-first fragment)
test('IPv4 non-first fragment: frag, no ports', () => {
  const p = decodeHex(ETHERNET, '028e00506ae11101ed830000080045088034d9405b0040116a700a00000100ea9ad600585e0a028000b104020f0f0f0f0f1500000f04120f0f0f0f0f0f0f0f0f0f0f001688');
  assert.deepEqual(json(p), {
    ...TS, len: 69, caplen: 69, smac: '11:01:ed:83:00:00', dmac: '02:8e:00:50:6a:e1', eth: 'ipv4',
    src: '10.0.0.1', dst: '0.234.154.214', proto: 'udp', ttl: 64, frag: true,
  });
});

// lan-incident.pcap #8: ARP, Request who-has 10.10.1.1 tell 10.10.1.20, length 28
test('Ethernet ARP request', () => {
  const p = decodeHex(ETHERNET, 'ffffffffffff327213b6831a08060001080006040001327213b6831a0a0a01140000000000000a0a0101');
  assert.deepEqual(json(p), {
    ...TS, len: 42, caplen: 42, smac: '32:72:13:b6:83:1a', dmac: 'ff:ff:ff:ff:ff:ff', eth: 'arp',
    arp: { op: 1, sha: '32:72:13:b6:83:1a', spa: '10.10.1.20', tha: '00:00:00:00:00:00', tpa: '10.10.1.1' },
  });
});

// arp-too-long-tha.pcap #1 (first 64 bytes): ARP, Request who-has 48.48.48.48 (30:30:…:30, 14-byte hardware addresses) tell 48.48.48.48, behind an 802.1ad tag
test('ARP with other address sizes: op only; 802.1ad tag', () => {
  const p = decodeHex(ETHERNET, '30303030303030303030303088a830300806303008000e0400013030303030303030303030303030303030303030303030303030303030303030303030303030');
  assert.equal(p.vlanCount, 1);
  assert.equal(p.vlans[0], 0x030);
  assert.equal(p.ethertype, 0x0806);
  assert.equal(p.arpOp, 1);
  assert.equal(p.arpShaOff, -1);
});

// bfd_source_port_49152.pcap #1: 802.1Q vlan 11, IP 11.11.11.2.49152 > 11.11.11.1.3784: BFD
const VLAN_UDP = 'e46d7f54b90894434dc017858100e00b080045e000349d414000ff11b17e0b0b0b020b0b0b01c0000ec80020000020c803188000000180000001000186a0000186a000000000';
test('802.1Q tag, then IPv4 UDP', () => {
  const record = json(decodeHex(ETHERNET, VLAN_UDP)) as Record<string, unknown>;
  assert.equal(record.vlan, 11);
  assert.equal(record.eth, 'ipv4');
  assert.deepEqual([record.src, record.dst, record.proto, record.sport, record.dport], ['11.11.11.2', '11.11.11.1', 'udp', 49152, 3784]);
});

test('QinQ: tags outer first (the BFD frame with an 802.1ad tag 100 put in front)', () => {
  const hex = VLAN_UDP.slice(0, 24) + '88a80064' + VLAN_UDP.slice(24);
  const record = json(decodeHex(ETHERNET, hex)) as Record<string, unknown>;
  assert.deepEqual(record.vlan, [100, 11]);
  assert.equal(record.sport, 49152);
});

test('a stack of tags to the end of the frame ends with err, not a hang', () => {
  const p = decodeHex(ETHERNET, '0000000000010000000000028100' + '00018100'.repeat(30) + '0001');
  assert.equal(p.vlanCount, 30);
  assert.equal(p.err, 'truncated vlan tag');
  assert.deepEqual(json(p) && (json(p) as Record<string, unknown>).vlan, [1, 1, 1, 1]);
});

// 802.1w_rapid_STP.pcap #1: STP 802.1w, Rapid STP … (an 802.3 length, then LLC)
test('802.3 length frame: MACs only, no ethertype', () => {
  const p = decodeHex(ETHERNET, '0180c20000000000000000000027424203000002023c8000000000000000000000000080000000000000008001000014000200000000000000000000000000');
  assert.equal(p.ethertype, -1);
  assert.equal(macText(p.data, p.dmacOff), '01:80:c2:00:00:00');
  assert.equal(p.err, undefined);
});

// bgp-enhanced-route-refresh-subtype.pcapng #1: IP6 2a02:abc::17.37754 > 2a02:abc::123.179: Flags [P.], seq 3973869487:3973869510, ack 742445183, win 501, length 23: BGP
test('Linux cooked v1, IPv6 TCP', () => {
  const p = decodeHex(113, '00040001000618c04d96fa3f000086dd6c08b071003706012a020abc0000000000000000000000172a020abc000000000000000000000123937a00b3ecdc6faf2c40d07f801801f56af300000101080a581859156c491f41ffffffffffffffffffffffffffffffff00170500010001');
  assert.deepEqual(json(p), {
    ...TS, len: 111, caplen: 111, smac: '18:c0:4d:96:fa:3f', eth: 'ipv6', src: '2a02:abc::17', dst: '2a02:abc::123',
    proto: 'tcp', ttl: 1, sport: 37754, dport: 179, flags: 'PA', win: 501, seq: 3973869487, ack: 742445183,
  });
});

test('Linux cooked v2 (the same IPv6 TCP segment under an SLL2 header: protocol, reserved, ifindex 2, ARPHRD 1, outgoing, 6-byte address)', () => {
  const v1 = '00040001000618c04d96fa3f000086dd6c08b071003706012a020abc0000000000000000000000172a020abc000000000000000000000123937a00b3ecdc6faf2c40d07f801801f56af300000101080a581859156c491f41ffffffffffffffffffffffffffffffff00170500010001';
  const p = decodeHex(276, '86dd0000000000020001040618c04d96fa3f0000' + v1.slice(32));
  assert.equal(p.ethertype, 0x86dd);
  assert.equal(macText(p.data, p.smacOff), '18:c0:4d:96:fa:3f');
  assert.equal(p.dport, 179);
  assert.equal(p.tcpFlags, 0x18);
});

// ikev2four.pcap #2: IP 192.168.1.1.500 > 192.168.1.2.500: isakmp: parent_sa ikev2_init[R]  (BSD null, AF_INET little-endian)
const NULL_V4 = '02000000450000584dc500004011a97cc0a80101c0a8010201f401f400440629a88875a8198992a6000000000000000029202220000000000000003c000000200000400600000001c2221e50c16e123f2b0c71aefcf0cb3b798782c6';
test('BSD null, either byte order, and OpenBSD loop', () => {
  for (const [linktype, hex] of [[0, NULL_V4], [0, '00000002' + NULL_V4.slice(8)], [108, '00000002' + NULL_V4.slice(8)]] as const) {
    const record = json(decodeHex(linktype, hex)) as Record<string, unknown>;
    assert.deepEqual([record.src, record.dst, record.proto, record.sport, record.dport, record.eth], ['192.168.1.1', '192.168.1.2', 'udp', 500, 500, undefined], `${linktype} ${hex.slice(0, 8)}`);
  }
  // an unknown family (7): nothing decoded, not an error
  const other = decodeHex(0, '07000000' + NULL_V4.slice(8));
  assert.equal(other.ipVersion, 0);
  assert.equal(other.err, undefined);
});

// bgp_vpn_attrset.pcap #1 (first 60 bytes): IP 12.4.4.4.2051 > 12.1.1.1.179: Flags [P.], seq 3293077573:3293077694, ack 3348108582, win 16384 … BGP
const PPP_TCP = 'ff03002145c000ade50400003e06797d0c0404040c010101080300b3c4486045c790152680184000cf1800000101080a0005d89b000d95bb';
test('PPP with and without address/control, compressed protocol field, PPP in HDLC framing', () => {
  for (const [linktype, hex] of [[9, PPP_TCP], [9, PPP_TCP.slice(4)], [9, '21' + PPP_TCP.slice(8)], [50, PPP_TCP]] as const) {
    const p = decodeHex(linktype, hex);
    assert.deepEqual([ipv4Text(p.data, p.srcOff), p.sport, p.dport, p.tcpFlags, p.ethertype], ['12.4.4.4', 2051, 179, 0x18, -1], hex.slice(0, 8));
  }
});

// HDLC.pcap #7: IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 0, seq 0, length 80 (first 40 bytes)
test('Cisco HDLC, ICMP echo request', () => {
  const p = decodeHex(104, '0f0008004500006400000000ff01a7960a0000010a0000020800320b000000000000000000034c3c');
  assert.deepEqual([ipv4Text(p.data, p.srcOff), p.proto, p.itype, p.icode, p.ethertype], ['10.0.0.1', 1, 8, 0, -1]);
  assert.equal(p.err, undefined);
  // HDLC.pcap #1 is SLARP (protocol 0x8035): not RARP in Cisco HDLC, so not decoded as ARP
  assert.equal(decodeHex(104, '8f008035000000020a0000010000000000000000').arpOp, -1);
});

// LINKTYPE_RAW_ipv6.pcap #1: IP6 2001:db8::1.12345 > 2620:fe::9.53: 4660+ A? example.com. (29)
const RAW_V6 = '600000000025114020010db8000000000000000000000001262000fe00000000000000000000000930390035002598b3123401000001000000000000076578616d706c6503636f6d0000010001';
test('raw IP link types decode by version nibble', () => {
  for (const linktype of [101, 12, 14, 229, 228]) {
    const p = decodeHex(linktype, RAW_V6);
    assert.deepEqual([ipv6Text(p.data, p.srcOff), ipv6Text(p.data, p.dstOff), p.sport, p.dport, p.ttl], ['2001:db8::1', '2620:fe::9', 12345, 53, 64], `linktype ${linktype}`);
  }
  assert.equal(decodeHex(101, '50' + RAW_V6.slice(2)).err, 'bad ip version');
});

test('a link type we do not decode: ts, len and caplen only', () => {
  assert.equal(formatted(writePktJson, decodeHex(127, RAW_V6)), '{"type":"pkt","ts":1399212353.740897,"len":77,"caplen":77}\n');
});

// forces2.pcap #1: IP 192.168.1.142.33985 > 192.168.1.143.6704: sctp[ForCES HP] (1) [INIT] … (Linux cooked)
test('SCTP ports', () => {
  const p = decodeHex(113, '000400010006000c29b2a1170000080045020044000040004084b5c6c0a8018ec0a8018f84c11a3000000000259ef43f0100002494d021980000e00000010001e55ce946000c00060005000080000004c0000004');
  assert.deepEqual([p.proto, p.sport, p.dport, p.tcpFlags], [132, 33985, 6704, -1]);
});

// lan-incident.pcap #4: IP6 fe80::58c2:34ff:fea9:9798 > ff02::1: ICMP6, router advertisement, length 56
test('ICMPv6 router advertisement: prefix and source link-layer address', () => {
  const p = decodeHex(ETHERNET, '3333000000015ac234a9979886dd60016ab900383afffe8000000000000058c234fffea99798ff0200000000000000000000000000018600f4a34000000c0000000000000000030440c000015180000038400000000020010db800100000000000000000000001015ac234a99798');
  const record = json(p) as Record<string, unknown>;
  assert.deepEqual([record.proto, record.itype, record.icode, record.ttl], ['icmp6', 134, 0, 255]);
  assert.deepEqual(record.nd, { prefixes: ['2001:db8:10::/64'], lla: '5a:c2:34:a9:97:98' });
});

// lan-incident.pcap: IP6 fe80::3072:13ff:feb6:831a > fe80::58c2:34ff:fea9:9798: ICMP6, neighbor solicitation, who has fe80::58c2:34ff:fea9:9798, length 32
const NS = '5ac234a99798327213b6831a86dd6000000000203afffe80000000000000307213fffeb6831afe8000000000000058c234fffea997988700a49300000000fe8000000000000058c234fffea997980101327213b6831a';
test('ICMPv6 neighbor solicitation and advertisement: target and lla', () => {
  assert.deepEqual((json(decodeHex(ETHERNET, NS)) as Record<string, unknown>).nd, { target: 'fe80::58c2:34ff:fea9:9798', lla: '32:72:13:b6:83:1a' });
  // lan-incident.pcap: IP6 2001:db8:10::1 > 2001:db8:10:0:3072:13ff:feb6:831a: ICMP6, neighbor advertisement, tgt is 2001:db8:10::1, length 32
  const na = decodeHex(ETHERNET, '327213b6831a5ac234a9979886dd6000000000203aff20010db800100000000000000000000120010db800100000307213fffeb6831a88001effe000000020010db800100000000000000000000102015ac234a99798');
  assert.deepEqual((json(na) as Record<string, unknown>).nd, { target: '2001:db8:10::1', lla: '5a:c2:34:a9:97:98' });
});

test('ND option of length 0 is an error (would loop forever), the target stays', () => {
  const p = decodeHex(ETHERNET, NS.slice(0, NS.length - 14) + '00' + NS.slice(NS.length - 12));
  assert.equal(p.err, 'bad icmp6 nd option length');
  assert.equal(ipv6Text(p.data, p.ndTargetOff), 'fe80::58c2:34ff:fea9:9798');
  assert.equal(p.ndLlaOff, -1);
});

test('ND message cut before its target', () => {
  const p = decodeHex(ETHERNET, NS, 14 + 40 + 20);
  assert.equal(p.err, 'truncated icmp6 nd message');
  assert.equal(p.itype, 135);
  assert.equal(p.ndTargetOff, -1);
});

// ip6_frag_asan.pcap #1: IP6 452:22:19:0:41a:e4ff:10ff:484d > 2243:80:1400:100:19:ffff:ffff:fffb: frag (0|27128)  — the fragment header is cut after 6 bytes
test('IPv6 extension header cut short', () => {
  const p = decodeHex(ETHERNET, 'c0ceffa0000400002949ff7586dd651b21006a002c100452002200190000041ae4ff10ff484d22430080140001000019fffffffffffb0bff00000100');
  assert.equal(p.err, 'truncated ipv6 extension header');
  assert.equal(ipv6Text(p.data, p.srcOff), '452:22:19:0:41a:e4ff:10ff:484d');
  assert.equal(p.proto, -1);
});

test('IPv6 extension headers: hop-by-hop, AH, fragment to UDP; non-first fragment; chain to the end of the packet', () => {
  // the raw IPv6 DNS query with a hop-by-hop (8 bytes), an AH (12 bytes) and a first fragment header put in front of its UDP header
  const ip = RAW_V6.slice(0, 12) + '00' + RAW_V6.slice(14, 80);
  const udp = RAW_V6.slice(80);
  const hbh = '3300010400000000';
  const ah = '2c010000000000010000000a';
  const first = '1100000100000001';
  const p = decodeHex(101, ip + hbh + ah + first + udp);
  assert.deepEqual([p.proto, p.sport, p.dport, p.frag, p.err], [17, 12345, 53, false, undefined]);
  const later = decodeHex(101, ip + hbh + ah + '1100005900000001' + udp);
  assert.deepEqual([later.proto, later.sport, later.frag, later.err], [17, -1, true, undefined]);
  const loop = decodeHex(101, ip + '0000000000000000'.repeat(40));
  assert.deepEqual([loop.proto, loop.err], [-1, 'truncated ipv6 extension header']);
  const esp = decodeHex(101, ip.slice(0, 12) + '32' + ip.slice(14) + udp);
  assert.deepEqual([esp.proto, esp.sport], [50, -1]);
});

// afs.pcap #571 (first 70 bytes): IP 131.151.1.60 > 131.151.32.21: ICMP 131.151.1.60 udp port 4444 unreachable, length 92
// — the quoted packet's ports (4444) are not this packet's
test('ICMP error: type and code, not the quoted ports', () => {
  const p = decodeHex(ETHERNET, '0060089fb1f300e0f9cc1800080045000070e1a64000fe0172668397013c839720150303901f00000000450000ede33200003f116f4e839720158397013c0707115c00d94a24');
  assert.deepEqual([p.itype, p.icode, p.sport, p.dport], [3, 3, -1, -1]);
});

test('a source that did not learn the wire length: the outermost IP header gives it', () => {
  // as the cap engine hands over a packet it copied only in part: len = what was copied
  const cut = (hex: string, caplen: number, linktype = ETHERNET): Packet => {
    const data = Buffer.from(hex, 'hex');
    const p = new Packet();
    p.data = data;
    p.caplen = caplen;
    p.len = caplen;
    p.linktype = linktype;
    p.lenFromHeaders = true;
    decodePacket(p);
    return p;
  };
  // the SYN: 14 bytes of Ethernet + IPv4 total length 60, cut to 40 bytes
  assert.equal(cut(TCP_SYN, 40).len, 74);
  // 802.1Q: 18 bytes of link header + IPv4 total length 52
  assert.equal(cut(VLAN_UDP, 40).len, 70);
  // IPv6: 14 + 40 + payload length 32
  assert.equal(cut(NS, 60).len, 86);
  // cut before the IPv4 total length: only what was copied is known
  assert.equal(cut(TCP_SYN, 16).len, 16);
  // a file reader knows the wire length: the IP header does not change it
  assert.equal(decodeHex(ETHERNET, TCP_SYN, 40).len, 74);
});
