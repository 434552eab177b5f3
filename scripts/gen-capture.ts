/**
 * gen-capture — writes a synthetic, deterministic Ethernet capture that looks
 * like a busy campus LAN seen from a monitoring port, for benchmarks and for
 * tests that need millions of packets.
 *
 *   node dist/scripts/gen-capture.js OUT.pcap --packets N --seed S [--hosts H] [--snaplen L]
 *
 * The same seed and options always give the same bytes. Checksums above IPv4
 * are not computed (no decoder here verifies them), but every length is
 * consistent — IP total length, IPv6 payload length, UDP length — so tshark,
 * tcpdump and trk agree on every packet. Frames shorter than Ethernet's
 * 60-byte minimum are zero-padded as a switch port delivers them.
 *
 * Traffic (share of packets, roughly): TCP 78% (handshakes, requests,
 * responses of 200 B to 1 MB in full-size segments with an ACK every second
 * segment, FIN or RST closes, a few refused connections), UDP 13% (DNS,
 * NTP, QUIC bursts), ICMP/ICMPv6 echo 2%, ARP 4%, ICMPv6 neighbour discovery
 * 3% (NS, NA, DAD, router advertisements with one or two prefixes). About a
 * fifth of TCP and UDP flows run over IPv6; one local host in forty sits on a
 * tagged VLAN (10, 20, 30 or 40).
 *
 * Addresses. Local: `hosts` machines (default 4000) in 10.S.T.1–250 (one /24
 * per 250 hosts, router at .254) and 2001:db8:S:T::/64 with EUI-64 interface
 * identifiers. Remote: twice as many machines (at least 2048) drawn from real,
 * large provider blocks, because the documentation ranges (3 × /24) are too
 * small for thousands of distinct servers: 142.250.0.0/15 and 172.217.0.0/16
 * (Google), 151.101.0.0/16 (Fastly), 104.16.0.0/13 (Cloudflare),
 * 52.0.0.0/11 (Amazon), 13.64.0.0/11 (Microsoft), 31.13.64.0/18 (Meta), and
 * the IPv6 blocks 2a00:1450::/32, 2606:4700::/32, 2a04:4e42::/32,
 * 2600:1f18::/32, 2620:1ec::/36, 2a03:2880::/32; resolvers 9.9.9.9, 1.1.1.1,
 * 8.8.8.8 (and their IPv6 twins).
 *
 * Speed: every frame is built in one scratch buffer and copied into the
 * PcapWriter's 1 MiB chunk; sessions live in pools allocated at the start, so
 * the loop allocates nothing per packet.
 */
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { PcapWriter } from '../src/capture/pcap-writer.js';

export interface LanCaptureOptions {
  packets: number;
  seed: number;
  /** Local machines (default 4000). */
  hosts?: number;
  /** Bytes kept of each frame (default 256, like a monitoring capture). */
  snaplen?: number;
}

const LINKTYPE_ETHERNET = 1;
const MAX_FRAME = 1518; // 1514 + one 802.1Q tag
const ETH_MIN = 60;
/** 2024-03-04 09:00:00 UTC: a Monday morning. */
const START_SEC = 1709542800;

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_ARP = 0x0806;
const PROTO_ICMP = 1;
const PROTO_TCP = 6;
const PROTO_UDP = 17;
const PROTO_ICMPV6 = 58;

const TCP_FIN = 0x01;
const TCP_SYN = 0x02;
const TCP_RST = 0x04;
const TCP_PSH = 0x08;
const TCP_ACK = 0x10;

/** TCP header with the options each kind of segment carries (SYN: mss, sackOK, TS, nop, wscale; data: nop, nop, TS). */
const TCP_HDR_SYN = 40;
const TCP_HDR_DATA = 32;
const TCP_HDR_BARE = 20;

const REMOTE_V4_BLOCKS: ReadonlyArray<readonly [string, number]> = [
  ['142.250.0.0', 15],
  ['172.217.0.0', 16],
  ['151.101.0.0', 16],
  ['104.16.0.0', 13],
  ['52.0.0.0', 11],
  ['13.64.0.0', 11],
  ['31.13.64.0', 18],
];
/** First 32 bits of each remote IPv6 block, plus a fixed 16-bit site where providers use one. */
const REMOTE_V6_BLOCKS: ReadonlyArray<readonly [number, number]> = [
  [0x2a001450, 0x4001],
  [0x26064700, 0x0000],
  [0x2a044e42, 0x0000],
  [0x26001f18, 0x0a00],
  [0x262001ec, 0x0040],
  [0x2a032880, 0xf1ff],
];
const RESOLVERS: ReadonlyArray<readonly [string, string]> = [
  ['9.9.9.9', '2620:fe::fe'],
  ['1.1.1.1', '2606:4700:4700::1111'],
  ['8.8.8.8', '2001:4860:4860::8888'],
];
/** Vendor prefixes for local MACs (Intel, Apple, Dell, Raspberry Pi, HP, Lenovo). */
const OUIS = [0x001b21, 0x3c22fb, 0xf8bc12, 0xdca632, 0x3ca82a, 0x54e1ad];
/** A VRRP virtual router MAC: one layer-3 switch routes every subnet. */
const ROUTER_MAC = [0x00, 0x00, 0x5e, 0x00, 0x01, 0x01];
const DNS_NAMES = [
  'www.google.com', 'mail.example.org', 'api.github.com', 'update.microsoft.com', 'cdn.jsdelivr.net',
  'eduroam.ac.uk', 'time.cloudflare.com', 'login.microsoftonline.com', 'static.xx.fbcdn.net', 'debian.map.fastly.net',
];
const TCP_SERVICES = [443, 443, 443, 443, 443, 443, 443, 443, 443, 443, 443, 80, 80, 80, 22, 993, 8080, 25, 5222, 3478];
const INTERNAL_SERVICES = [445, 445, 3389, 22, 631, 8080, 443, 139];

/** sfc32: fast, good enough statistically, and reproducible from a 32-bit seed. */
class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d = 1;
  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = seed >>> 0;
    for (let i = 0; i < 16; i++) this.next();
  }
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }
  /** An integer in [0, n). */
  below(n: number): number {
    return Math.floor((this.next() / 4294967296) * n);
  }
  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.below(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.next() < p * 4294967296;
  }
}

const enum Kind {
  Tcp,
  Dns,
  Ntp,
  Quic,
  Ping,
  Arp,
  Nd,
}

const enum NdSource {
  Global,
  Unspecified,
  RouterLinkLocal,
}

const enum TcpState {
  Syn,
  SynAck,
  HandshakeAck,
  Request,
  ServerAck,
  Response,
  ClientAck,
  Close,
  ServerFin,
  LastAck,
  Refused,
}

/** One conversation in progress; pools of these are allocated once and reused. */
class Session {
  kind = Kind.Tcp;
  done = true;
  state = 0;
  v6 = false;
  vlan = 0;
  /** Peer numbers (see Network): client is always local. */
  client = 0;
  server = 0;
  cport = 0;
  sport = 0;
  cseq = 0;
  sseq = 0;
  cwin = 0;
  swin = 0;
  rounds = 0;
  toSend = 0;
  sinceAck = 0;
  id = 0;
  count = 0;
}

/**
 * Every machine is a peer number: local hosts 0..L-1, remote machines L..L+R-1,
 * then one router per local /24. Frames to and from remote machines carry
 * the router's MAC.
 */
class Network {
  readonly locals: number;
  readonly remotes: number;
  readonly subnets: number;
  readonly mac: Buffer;
  readonly v4: Uint32Array;
  readonly v6: Buffer;
  readonly ttl: Uint8Array;
  readonly vlan: Uint16Array;
  readonly subnetOf: Uint32Array;
  readonly resolver0: number;

  constructor(rng: Rng, hosts: number) {
    this.locals = hosts;
    this.remotes = Math.max(2048, hosts * 2);
    this.subnets = Math.ceil(hosts / 250);
    const total = this.locals + this.remotes + this.subnets;
    this.mac = Buffer.alloc(total * 6);
    this.v4 = new Uint32Array(total);
    this.v6 = Buffer.alloc(total * 16);
    this.ttl = new Uint8Array(total);
    this.vlan = new Uint16Array(total);
    this.subnetOf = new Uint32Array(total);

    for (let i = 0; i < hosts; i++) {
      const s = Math.floor(i / 250);
      this.subnetOf[i] = s;
      const oui = OUIS[rng.below(OUIS.length)]!;
      const m = i * 6;
      this.mac[m] = oui >>> 16;
      this.mac[m + 1] = (oui >>> 8) & 255;
      this.mac[m + 2] = oui & 255;
      this.mac[m + 3] = rng.below(256);
      this.mac[m + 4] = i >>> 8;
      this.mac[m + 5] = i & 255;
      this.v4[i] = ipv4(10, 1 + (s >>> 8), s & 255, 1 + (i % 250));
      this.writeLocalV6(i, s, false);
      this.ttl[i] = rng.chance(0.3) ? 128 : 64;
      if (i % 40 === 3) this.vlan[i] = 10 * (1 + ((i >>> 5) & 3));
    }
    for (let j = 0; j < this.remotes; j++) {
      const p = this.locals + j;
      ROUTER_MAC.forEach((b, k) => (this.mac[p * 6 + k] = b));
      const [base, bits] = REMOTE_V4_BLOCKS[j % REMOTE_V4_BLOCKS.length]!;
      const size = 2 ** (32 - bits);
      let addr = (parseV4(base) + 1 + rng.below(size - 2)) >>> 0;
      if ((addr & 255) === 0 || (addr & 255) === 255) addr = (addr ^ 1) >>> 0;
      this.v4[p] = addr;
      const [hi, site] = REMOTE_V6_BLOCKS[j % REMOTE_V6_BLOCKS.length]!;
      const o = p * 16;
      this.v6.writeUInt32BE(hi, o);
      this.v6.writeUInt16BE(site, o + 4);
      this.v6.writeUInt16BE(rng.below(0x10000), o + 6);
      this.v6.writeUInt32BE(0, o + 8);
      this.v6.writeUInt32BE(rng.next(), o + 12);
      this.ttl[p] = rng.range(44, 60);
    }
    this.resolver0 = this.locals;
    RESOLVERS.forEach(([v4text, v6text], k) => {
      const p = this.locals + k;
      this.v4[p] = parseV4(v4text);
      parseV6(v6text).copy(this.v6, p * 16);
    });
    for (let s = 0; s < this.subnets; s++) {
      const p = this.router(s);
      ROUTER_MAC.forEach((b, k) => (this.mac[p * 6 + k] = b));
      this.v4[p] = ipv4(10, 1 + (s >>> 8), s & 255, 254);
      this.subnetOf[p] = s;
      this.writeLocalV6(p, s, true);
      this.ttl[p] = 255;
    }
  }

  router(subnet: number): number {
    return this.locals + this.remotes + subnet;
  }

  isRemote(peer: number): boolean {
    return peer >= this.locals && peer < this.locals + this.remotes;
  }

  /** 2001:db8:S:T::/64 with the EUI-64 identifier of the MAC, or ::1 for the router. */
  private writeLocalV6(peer: number, s: number, router: boolean): void {
    const o = peer * 16;
    this.v6.writeUInt32BE(0x20010db8, o);
    this.v6.writeUInt16BE(1 + (s >>> 8), o + 4);
    this.v6.writeUInt16BE(s & 255, o + 6);
    if (router) {
      this.v6.fill(0, o + 8, o + 15);
      this.v6[o + 15] = 1;
      return;
    }
    const m = peer * 6;
    this.v6[o + 8] = this.mac[m]! ^ 2;
    this.v6[o + 9] = this.mac[m + 1]!;
    this.v6[o + 10] = this.mac[m + 2]!;
    this.v6[o + 11] = 0xff;
    this.v6[o + 12] = 0xfe;
    this.v6[o + 13] = this.mac[m + 3]!;
    this.v6[o + 14] = this.mac[m + 4]!;
    this.v6[o + 15] = this.mac[m + 5]!;
  }
}

/** Pool sizes: how many conversations of each kind are interleaved at once. */
const POOLS: ReadonlyArray<readonly [Kind, number, number]> = [
  // kind, concurrent sessions, share of packets
  [Kind.Tcp, 384, 0.78],
  [Kind.Dns, 48, 0.05],
  [Kind.Ntp, 8, 0.01],
  [Kind.Quic, 32, 0.07],
  [Kind.Ping, 16, 0.02],
  [Kind.Arp, 16, 0.04],
  [Kind.Nd, 16, 0.03],
];

class LanGenerator {
  private readonly rng: Rng;
  private readonly net: Network;
  private readonly snaplen: number;
  /** The frame being built. */
  private readonly f = Buffer.alloc(MAX_FRAME);
  /** Views of `f` by length, made once, so handing a frame to the writer allocates nothing. */
  private readonly views: Buffer[] = [];
  /** Payload bytes that look like encrypted traffic. */
  private readonly noise: Buffer;
  private readonly dnsNames: Buffer[];
  private readonly pools: Session[][];
  /** Cumulative packet shares of the pools, for picking one per packet. */
  private readonly poolCut: Float64Array;
  private sec = START_SEC;
  private usec = 0;
  private ipId = 1;
  written = 0;
  private writable = true;

  constructor(
    private readonly writer: PcapWriter,
    opts: LanCaptureOptions,
  ) {
    this.rng = new Rng(opts.seed);
    this.net = new Network(this.rng, opts.hosts ?? 4000);
    this.snaplen = writer.snaplen;
    for (let n = 0; n <= MAX_FRAME; n++) this.views.push(this.f.subarray(0, n));
    this.noise = Buffer.alloc(4096);
    for (let i = 0; i < this.noise.length; i += 4) this.noise.writeUInt32LE(this.rng.next(), i);
    this.dnsNames = DNS_NAMES.map(encodeDnsName);
    this.pools = POOLS.map(([kind, size]) =>
      Array.from({ length: size }, () => {
        const s = new Session();
        s.kind = kind;
        return s;
      }),
    );
    this.poolCut = new Float64Array(POOLS.length);
    let sum = 0;
    POOLS.forEach(([, , share], k) => (this.poolCut[k] = sum += share));
    this.poolCut[POOLS.length - 1] = 1;
  }

  async run(packets: number): Promise<void> {
    while (this.written < packets) {
      this.step();
      if (!this.writable) {
        await this.writer.drain();
        this.writable = true;
      }
    }
  }

  /** Advance one randomly chosen session by exactly one packet. */
  private step(): void {
    const r = this.rng.next() / 4294967296;
    let k = 0;
    while (r >= this.poolCut[k]!) k++;
    const pool = this.pools[k]!;
    const s = pool[this.rng.below(pool.length)]!;
    if (s.done) this.begin(s);
    switch (s.kind) {
      case Kind.Tcp: return this.tcpStep(s);
      case Kind.Dns: return this.dnsStep(s);
      case Kind.Ntp: return this.ntpStep(s);
      case Kind.Quic: return this.quicStep(s);
      case Kind.Ping: return this.pingStep(s);
      case Kind.Arp: return this.arpStep(s);
      case Kind.Nd: return this.ndStep(s);
    }
  }

  private begin(s: Session): void {
    const rng = this.rng;
    const net = this.net;
    s.done = false;
    s.state = 0;
    s.count = 0;
    s.client = rng.below(net.locals);
    s.vlan = net.vlan[s.client]!;
    s.v6 = rng.chance(0.2);
    s.cport = rng.range(32768, 60999);
    s.id = rng.below(0x10000);
    switch (s.kind) {
      case Kind.Tcp:
        if (rng.chance(0.1)) {
          // a local service: file shares, printers, remote desktops
          s.server = rng.below(net.locals);
          if (s.server === s.client) s.server = (s.server + 1) % net.locals;
          s.sport = INTERNAL_SERVICES[rng.below(INTERNAL_SERVICES.length)]!;
        } else {
          s.server = net.locals + rng.below(net.remotes);
          s.sport = TCP_SERVICES[rng.below(TCP_SERVICES.length)]!;
        }
        s.cseq = rng.next();
        s.sseq = rng.next();
        s.cwin = rng.range(500, 2050);
        s.swin = rng.range(60, 1100);
        s.rounds = rng.chance(0.6) ? 1 : rng.range(2, 8);
        s.state = rng.chance(0.03) ? TcpState.Syn | 0x100 : TcpState.Syn; // 0x100: the server refuses
        break;
      case Kind.Dns:
        s.server = rng.chance(0.5) ? net.router(net.subnetOf[s.client]!) : net.resolver0 + rng.below(RESOLVERS.length);
        s.sport = 53;
        s.rounds = rng.below(this.dnsNames.length);
        break;
      case Kind.Ntp:
        s.server = net.locals + RESOLVERS.length + rng.below(net.remotes - RESOLVERS.length);
        s.sport = 123;
        s.cport = rng.chance(0.5) ? 123 : s.cport;
        break;
      case Kind.Quic:
        s.server = net.locals + RESOLVERS.length + rng.below(net.remotes - RESOLVERS.length);
        s.sport = 443;
        s.rounds = rng.chance(0.7) ? rng.range(4, 40) : rng.range(40, 400);
        break;
      case Kind.Ping:
        s.server = rng.chance(0.3) ? net.router(net.subnetOf[s.client]!) : net.locals + rng.below(net.remotes);
        s.rounds = rng.range(1, 4);
        break;
      case Kind.Arp:
      case Kind.Nd:
        s.server = net.router(net.subnetOf[s.client]!);
        // Arp: 0 router asks, 1 host asks, 2 gratuitous; Nd: 0 NS/NA, 1 DAD, 2 RA
        s.rounds = rng.below(10) < 6 ? 0 : rng.below(10) < 8 ? 1 : 2;
        break;
    }
  }

  // ---- TCP ----

  private tcpStep(s: Session): void {
    const rng = this.rng;
    const mss = s.v6 ? 1428 : 1448;
    switch (s.state) {
      case TcpState.Syn:
      case TcpState.Syn | 0x100:
        this.tcp(s, true, TCP_SYN, s.cseq, 0, 64240, TCP_HDR_SYN, 0);
        s.cseq = (s.cseq + 1) >>> 0;
        s.state = s.state === TcpState.Syn ? TcpState.SynAck : TcpState.Refused;
        return;
      case TcpState.Refused:
        this.tcp(s, false, TCP_RST | TCP_ACK, 0, s.cseq, 0, TCP_HDR_BARE, 0);
        s.done = true;
        return;
      case TcpState.SynAck:
        this.tcp(s, false, TCP_SYN | TCP_ACK, s.sseq, s.cseq, 65160, TCP_HDR_SYN, 0);
        s.sseq = (s.sseq + 1) >>> 0;
        s.state = TcpState.HandshakeAck;
        return;
      case TcpState.HandshakeAck:
        this.tcp(s, true, TCP_ACK, s.cseq, s.sseq, s.cwin, TCP_HDR_DATA, 0);
        s.state = TcpState.Request;
        return;
      case TcpState.Request: {
        const n = rng.chance(0.8) ? rng.range(80, 900) : rng.range(900, mss);
        this.tcp(s, true, TCP_PSH | TCP_ACK, s.cseq, s.sseq, s.cwin, TCP_HDR_DATA, n);
        s.cseq = (s.cseq + n) >>> 0;
        const size = rng.below(100);
        s.toSend = size < 50 ? rng.range(200, 4000) : size < 85 ? rng.range(4000, 65536) : rng.range(65536, 1 << 20);
        s.sinceAck = 0;
        s.state = rng.chance(0.3) ? TcpState.ServerAck : TcpState.Response;
        return;
      }
      case TcpState.ServerAck:
        this.tcp(s, false, TCP_ACK, s.sseq, s.cseq, s.swin, TCP_HDR_DATA, 0);
        s.state = TcpState.Response;
        return;
      case TcpState.Response: {
        const n = s.toSend < mss ? s.toSend : mss;
        s.toSend -= n;
        this.tcp(s, false, s.toSend === 0 ? TCP_PSH | TCP_ACK : TCP_ACK, s.sseq, s.cseq, s.swin, TCP_HDR_DATA, n);
        s.sseq = (s.sseq + n) >>> 0;
        if (++s.sinceAck === 2 || s.toSend === 0) s.state = TcpState.ClientAck;
        return;
      }
      case TcpState.ClientAck:
        this.tcp(s, true, TCP_ACK, s.cseq, s.sseq, s.cwin, TCP_HDR_DATA, 0);
        s.sinceAck = 0;
        if (s.toSend > 0) s.state = TcpState.Response;
        else s.state = --s.rounds > 0 ? TcpState.Request : TcpState.Close;
        return;
      case TcpState.Close:
        if (rng.chance(0.1)) {
          // browsers often abort instead of closing
          this.tcp(s, true, TCP_RST | TCP_ACK, s.cseq, s.sseq, 0, TCP_HDR_BARE, 0);
          s.done = true;
          return;
        }
        this.tcp(s, true, TCP_FIN | TCP_ACK, s.cseq, s.sseq, s.cwin, TCP_HDR_DATA, 0);
        s.cseq = (s.cseq + 1) >>> 0;
        s.state = TcpState.ServerFin;
        return;
      case TcpState.ServerFin:
        this.tcp(s, false, TCP_FIN | TCP_ACK, s.sseq, s.cseq, s.swin, TCP_HDR_DATA, 0);
        s.sseq = (s.sseq + 1) >>> 0;
        s.state = TcpState.LastAck;
        return;
      default:
        this.tcp(s, true, TCP_ACK, s.cseq, s.sseq, s.cwin, TCP_HDR_DATA, 0);
        s.done = true;
        return;
    }
  }

  private tcp(s: Session, fromClient: boolean, flags: number, seq: number, ack: number, win: number, hdr: number, payload: number): void {
    const src = fromClient ? s.client : s.server;
    const dst = fromClient ? s.server : s.client;
    const sport = fromClient ? s.cport : s.sport;
    const dport = fromClient ? s.sport : s.cport;
    const f = this.f;
    let o = this.ip(s.v6, src, dst, s.vlan, PROTO_TCP, hdr + payload);
    f[o] = sport >>> 8;
    f[o + 1] = sport & 255;
    f[o + 2] = dport >>> 8;
    f[o + 3] = dport & 255;
    f.writeUInt32BE(seq, o + 4);
    f.writeUInt32BE(flags & TCP_ACK ? ack : 0, o + 8);
    f[o + 12] = (hdr / 4) << 4;
    f[o + 13] = flags;
    f[o + 14] = win >>> 8;
    f[o + 15] = win & 255;
    f[o + 16] = 0;
    f[o + 17] = 0;
    f[o + 18] = 0;
    f[o + 19] = 0;
    const tsval = (((this.sec - START_SEC) * 1000 + ((this.usec / 1000) | 0)) + s.id * 65536) >>> 0;
    if (hdr === TCP_HDR_SYN) {
      const mss = s.v6 ? 1440 : 1460;
      f[o + 20] = 2;
      f[o + 21] = 4;
      f[o + 22] = mss >>> 8;
      f[o + 23] = mss & 255;
      f[o + 24] = 4;
      f[o + 25] = 2;
      f[o + 26] = 8;
      f[o + 27] = 10;
      f.writeUInt32BE(tsval, o + 28);
      f.writeUInt32BE(fromClient ? 0 : (tsval ^ 0x5a5a) >>> 0, o + 32);
      f[o + 36] = 1;
      f[o + 37] = 3;
      f[o + 38] = 3;
      f[o + 39] = 7;
    } else if (hdr === TCP_HDR_DATA) {
      f[o + 20] = 1;
      f[o + 21] = 1;
      f[o + 22] = 8;
      f[o + 23] = 10;
      f.writeUInt32BE(tsval, o + 24);
      f.writeUInt32BE((tsval ^ 0x5a5a) >>> 0, o + 28);
    }
    o += hdr;
    this.payload(o, payload);
    this.emit(o + payload);
  }

  // ---- UDP: DNS, NTP, QUIC ----

  private dnsStep(s: Session): void {
    const f = this.f;
    const name = this.dnsNames[s.rounds]!;
    const question = name.length + 4;
    const answer = s.v6 ? 12 + 16 : 12 + 4;
    const response = s.state === 1;
    const len = 12 + question + (response ? answer : 0);
    let o = this.udp(s, !response, len);
    f.writeUInt16BE(s.id, o);
    f.writeUInt16BE(response ? 0x8180 : 0x0100, o + 2);
    f.writeUInt16BE(1, o + 4);
    f.writeUInt16BE(response ? 1 : 0, o + 6);
    f.writeUInt32BE(0, o + 8);
    o += 12;
    name.copy(f, o);
    o += name.length;
    f.writeUInt16BE(s.v6 ? 28 : 1, o);
    f.writeUInt16BE(1, o + 2);
    o += 4;
    if (response) {
      f.writeUInt16BE(0xc00c, o);
      f.writeUInt16BE(s.v6 ? 28 : 1, o + 2);
      f.writeUInt16BE(1, o + 4);
      f.writeUInt32BE(300, o + 6);
      f.writeUInt16BE(s.v6 ? 16 : 4, o + 10);
      const target = this.net.locals + RESOLVERS.length + (s.id % (this.net.remotes - RESOLVERS.length));
      if (s.v6) this.net.v6.copy(f, o + 12, target * 16, target * 16 + 16);
      else f.writeUInt32BE(this.net.v4[target]!, o + 12);
      o += answer;
      s.done = true;
    }
    s.state = 1;
    this.emit(o);
  }

  private ntpStep(s: Session): void {
    const f = this.f;
    const request = s.state === 0;
    const o = this.udp(s, request, 48);
    f.fill(0, o, o + 48);
    f[o] = request ? 0x23 : 0x24; // version 4, mode client / server
    if (!request) {
      f[o + 1] = 2; // stratum
      f[o + 2] = 6;
      f[o + 3] = 0xe9;
      f.writeUInt32BE(this.sec + 2208988800, o + 32); // receive time, NTP era 0
      f.writeUInt32BE(this.sec + 2208988800, o + 40); // transmit time
      s.done = true;
    }
    f.writeUInt32BE(this.sec + 2208988800, o + 24); // origin / transmit of the request
    s.state = 1;
    this.emit(o + 48);
  }

  private quicStep(s: Session): void {
    const rng = this.rng;
    const f = this.f;
    const first = s.count === 0;
    // downloads: the server sends most packets, the client acknowledges now and then
    const fromClient = first || rng.chance(0.25);
    const max = s.v6 ? 1232 : 1252;
    const len = first ? 1200 : fromClient ? rng.range(30, 80) : rng.chance(0.8) ? max : rng.range(60, max);
    const o = this.udp(s, fromClient, len);
    this.payload(o, len);
    if (first) {
      f[o] = 0xc3; // long header, Initial
      f.writeUInt32BE(1, o + 1); // version 1
      f[o + 5] = 8; // destination connection ID length
    } else {
      f[o] = 0x40 | (f[o]! & 0x3f); // short header, fixed bit set
    }
    s.count++;
    if (s.count >= s.rounds) s.done = true;
    this.emit(o + len);
  }

  private udp(s: Session, fromClient: boolean, payload: number): number {
    const src = fromClient ? s.client : s.server;
    const dst = fromClient ? s.server : s.client;
    const sport = fromClient ? s.cport : s.sport;
    const dport = fromClient ? s.sport : s.cport;
    const f = this.f;
    const o = this.ip(s.v6, src, dst, s.vlan, PROTO_UDP, 8 + payload);
    f[o] = sport >>> 8;
    f[o + 1] = sport & 255;
    f[o + 2] = dport >>> 8;
    f[o + 3] = dport & 255;
    f[o + 4] = (8 + payload) >>> 8;
    f[o + 5] = (8 + payload) & 255;
    // not computed, but not zero either: zero means "none", which IPv6 forbids
    f[o + 6] = 0x80 | (s.id >>> 8);
    f[o + 7] = s.id & 255;
    return o + 8;
  }

  // ---- ICMP echo ----

  private pingStep(s: Session): void {
    const f = this.f;
    const reply = (s.state & 1) === 1;
    const seq = (s.state >>> 1) + 1;
    const src = reply ? s.server : s.client;
    const dst = reply ? s.client : s.server;
    const o = this.ip(s.v6, src, dst, s.vlan, s.v6 ? PROTO_ICMPV6 : PROTO_ICMP, 8 + 56);
    f[o] = s.v6 ? (reply ? 129 : 128) : reply ? 0 : 8;
    f[o + 1] = 0;
    f[o + 2] = 0;
    f[o + 3] = 0;
    f.writeUInt16BE(s.id, o + 4);
    f.writeUInt16BE(seq, o + 6);
    this.payload(o + 8, 56);
    s.state++;
    if (reply && seq >= s.rounds) s.done = true;
    this.emit(o + 8 + 56);
  }

  // ---- ARP ----

  private arpStep(s: Session): void {
    const f = this.f;
    const net = this.net;
    const reply = s.state === 1;
    // rounds: 0 the router looks for the host, 1 the host looks for the router, 2 a gratuitous announcement
    const asker = s.rounds === 0 ? s.server : s.client;
    const target = s.rounds === 0 ? s.client : s.rounds === 1 ? s.server : s.client;
    const sender = reply ? target : asker;
    let o = this.eth(reply ? asker : -1, sender, s.vlan, ETHERTYPE_ARP);
    f.writeUInt16BE(1, o); // Ethernet
    f.writeUInt16BE(ETHERTYPE_IPV4, o + 2);
    f[o + 4] = 6;
    f[o + 5] = 4;
    f.writeUInt16BE(reply ? 2 : 1, o + 6);
    net.mac.copy(f, o + 8, sender * 6, sender * 6 + 6);
    f.writeUInt32BE(net.v4[sender]!, o + 14);
    if (reply) net.mac.copy(f, o + 18, asker * 6, asker * 6 + 6);
    else f.fill(0, o + 18, o + 24);
    f.writeUInt32BE(net.v4[reply ? asker : target]!, o + 24);
    o += 28;
    // a gratuitous ARP has no reply; one request in ten finds nobody home
    if (reply || s.rounds === 2 || this.rng.chance(0.1)) s.done = true;
    s.state = 1;
    this.emit(o);
  }

  // ---- ICMPv6 neighbour discovery (RFC 4861) ----

  private ndStep(s: Session): void {
    const net = this.net;
    const f = this.f;
    const router = s.server;
    if (s.rounds === 2) {
      // router advertisement to all nodes: header, source link-layer, MTU, prefixes
      const prefixes = this.rng.chance(0.25) ? 2 : 1;
      const len = 16 + 8 + 8 + 32 * prefixes;
      let o = this.ndIp(router, NdSource.RouterLinkLocal, -1, s.vlan, len);
      f[o] = 134;
      f[o + 1] = 0;
      f[o + 2] = 0;
      f[o + 3] = 0;
      f[o + 4] = 64; // cur hop limit
      f[o + 5] = 0;
      f.writeUInt16BE(1800, o + 6);
      f.writeUInt32BE(0, o + 8);
      f.writeUInt32BE(0, o + 12);
      o = this.lla(o + 16, 1, router);
      f[o] = 5;
      f[o + 1] = 1;
      f.writeUInt16BE(0, o + 2);
      f.writeUInt32BE(1500, o + 4);
      o += 8;
      for (let k = 0; k < prefixes; k++) {
        f[o] = 3;
        f[o + 1] = 4;
        f[o + 2] = 64;
        f[o + 3] = 0xc0; // on-link, autonomous
        f.writeUInt32BE(2592000, o + 4);
        f.writeUInt32BE(604800, o + 8);
        f.writeUInt32BE(0, o + 12);
        net.v6.copy(f, o + 16, router * 16, router * 16 + 8);
        if (k === 1) f[o + 22] = f[o + 22]! | 0x80; // a second /64 beside the first: 2001:db8:S:80T::/64
        f.fill(0, o + 24, o + 32);
        o += 32;
      }
      s.done = true;
      return this.emit(o);
    }
    const dad = s.rounds === 1;
    if (s.state === 0) {
      // solicitation: a host resolving the router (or, in DAD, checking its own address is free)
      const target = dad ? s.client : router;
      let o = this.ndIp(s.client, dad ? NdSource.Unspecified : NdSource.Global, -3 - target, s.vlan, dad ? 24 : 32);
      f[o] = 135;
      f[o + 1] = 0;
      f.writeUInt16BE(0, o + 2);
      f.writeUInt32BE(0, o + 4);
      net.v6.copy(f, o + 8, target * 16, target * 16 + 16);
      o += 24;
      if (!dad) o = this.lla(o, 1, s.client);
      s.state = 1;
      if (dad) s.done = true;
      return this.emit(o);
    }
    let o = this.ndIp(router, NdSource.Global, s.client, s.vlan, 32);
    f[o] = 136;
    f[o + 1] = 0;
    f.writeUInt16BE(0, o + 2);
    f.writeUInt32BE(0xe0000000, o + 4); // router, solicited, override
    net.v6.copy(f, o + 8, router * 16, router * 16 + 16);
    o = this.lla(o + 24, 2, router);
    s.done = true;
    this.emit(o);
  }

  /** A link-layer address option (1 source, 2 target). */
  private lla(o: number, type: number, peer: number): number {
    this.f[o] = type;
    this.f[o + 1] = 1;
    this.net.mac.copy(this.f, o + 2, peer * 6, peer * 6 + 6);
    return o + 8;
  }

  /**
   * Ethernet and IPv6 headers for neighbour discovery (hop limit 255), sent by
   * peer `from` from the address `srcAddr` says. dst: a peer, -1 all-nodes, or
   * -3 - peer for that peer's solicited-node multicast group.
   */
  private ndIp(from: number, srcAddr: NdSource, dst: number, vlan: number, payload: number): number {
    const f = this.f;
    const net = this.net;
    const o = this.eth(dst >= 0 ? dst : -2, from, vlan, ETHERTYPE_IPV6);
    f.writeUInt32BE(0x60000000, o);
    f.writeUInt16BE(payload, o + 4);
    f[o + 6] = PROTO_ICMPV6;
    f[o + 7] = 255;
    if (srcAddr === NdSource.Unspecified) f.fill(0, o + 8, o + 24);
    else if (srcAddr === NdSource.RouterLinkLocal) {
      f.writeUInt32BE(0xfe800000, o + 8);
      f.fill(0, o + 12, o + 23);
      f[o + 23] = 1;
    } else net.v6.copy(f, o + 8, from * 16, from * 16 + 16);
    if (dst >= 0) net.v6.copy(f, o + 24, dst * 16, dst * 16 + 16);
    else if (dst === -1) {
      f.writeUInt32BE(0xff020000, o + 24);
      f.fill(0, o + 28, o + 39);
      f[o + 39] = 1;
    } else {
      const target = -3 - dst;
      f.writeUInt32BE(0xff020000, o + 24);
      f.fill(0, o + 28, o + 35);
      f[o + 35] = 1;
      f[o + 36] = 0xff;
      net.v6.copy(f, o + 37, target * 16 + 13, target * 16 + 16);
    }
    if (dst < 0) {
      // multicast MAC: 33:33 and the last four bytes of the group
      f[0] = 0x33;
      f[1] = 0x33;
      f[2] = f[o + 36]!;
      f[3] = f[o + 37]!;
      f[4] = f[o + 38]!;
      f[5] = f[o + 39]!;
    }
    return o + 40;
  }

  // ---- layers shared by all ----

  /** Ethernet (+ 802.1Q) header. dst -1 is broadcast; -2 leaves the destination for the caller. */
  private eth(dst: number, src: number, vlan: number, ethertype: number): number {
    const f = this.f;
    const mac = this.net.mac;
    if (dst >= 0) mac.copy(f, 0, dst * 6, dst * 6 + 6);
    else if (dst === -1) f.fill(0xff, 0, 6);
    mac.copy(f, 6, src * 6, src * 6 + 6);
    let o = 12;
    if (vlan !== 0) {
      f[12] = 0x81;
      f[13] = 0x00;
      f[14] = vlan >>> 8;
      f[15] = vlan & 255;
      o = 16;
    }
    f[o] = ethertype >>> 8;
    f[o + 1] = ethertype & 255;
    return o + 2;
  }

  /** Ethernet and IPv4 or IPv6 headers for `payload` bytes of protocol `proto`; returns where the payload starts. */
  private ip(v6: boolean, src: number, dst: number, vlan: number, proto: number, payload: number): number {
    const f = this.f;
    const net = this.net;
    let o = this.eth(dst, src, vlan, v6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4);
    if (v6) {
      f[o] = 0x60;
      f[o + 1] = 0;
      f[o + 2] = 0;
      f[o + 3] = 0;
      f[o + 4] = payload >>> 8;
      f[o + 5] = payload & 255;
      f[o + 6] = proto;
      f[o + 7] = net.ttl[src]!;
      net.v6.copy(f, o + 8, src * 16, src * 16 + 16);
      net.v6.copy(f, o + 24, dst * 16, dst * 16 + 16);
      return o + 40;
    }
    const total = 20 + payload;
    const id = this.ipId;
    this.ipId = (id + 1) & 0xffff;
    f[o] = 0x45;
    f[o + 1] = 0;
    f[o + 2] = total >>> 8;
    f[o + 3] = total & 255;
    f[o + 4] = id >>> 8;
    f[o + 5] = id & 255;
    f[o + 6] = 0x40; // don't fragment
    f[o + 7] = 0;
    f[o + 8] = net.ttl[src]!;
    f[o + 9] = proto;
    f[o + 10] = 0;
    f[o + 11] = 0;
    f.writeUInt32BE(net.v4[src]!, o + 12);
    f.writeUInt32BE(net.v4[dst]!, o + 16);
    // the IPv4 header checksum is cheap and keeps `tcpdump -v` quiet
    let sum = 0;
    for (let i = o; i < o + 20; i += 2) sum += (f[i]! << 8) | f[i + 1]!;
    sum = (sum & 0xffff) + (sum >>> 16);
    sum = (sum & 0xffff) + (sum >>> 16);
    const ck = ~sum & 0xffff;
    f[o + 10] = ck >>> 8;
    f[o + 11] = ck & 255;
    return o + 20;
  }

  /** Payload bytes from the noise pool, but only as far as the capture keeps them. */
  private payload(o: number, n: number): void {
    const kept = Math.min(n, this.snaplen - o);
    if (kept <= 0) return;
    const from = this.rng.below(this.noise.length - kept);
    this.noise.copy(this.f, o, from, from + kept);
  }

  /** Pad to Ethernet's minimum, stamp the time and hand the frame to the writer. */
  private emit(end: number): void {
    if (end < ETH_MIN) {
      this.f.fill(0, end, ETH_MIN);
      end = ETH_MIN;
    }
    // inter-arrival times of 1–79 µs: about 25,000 packets a second
    this.usec += 1 + this.rng.below(79);
    if (this.usec >= 1_000_000) {
      this.usec -= 1_000_000;
      this.sec++;
    }
    const caplen = end < this.snaplen ? end : this.snaplen;
    if (!this.writer.write(this.sec, this.usec, this.views[caplen]!, end)) this.writable = false;
    this.written++;
  }
}

/** Write a LAN-like Ethernet capture of `opts.packets` packets to `path`. */
export async function generateLanCapture(path: string, opts: LanCaptureOptions): Promise<void> {
  if (!Number.isInteger(opts.packets) || opts.packets < 0) throw new RangeError(`bad packet count ${opts.packets}`);
  const hosts = opts.hosts ?? 4000;
  if (!Number.isInteger(hosts) || hosts < 2 || hosts > 250 * 256 * 200) throw new RangeError(`bad host count ${hosts}`);
  const writer = new PcapWriter(fs.createWriteStream(path), { linktype: LINKTYPE_ETHERNET, snaplen: opts.snaplen ?? 256 });
  if (writer.snaplen < ETH_MIN) throw new RangeError(`snaplen ${writer.snaplen} is below Ethernet's ${ETH_MIN}-byte minimum`);
  await new LanGenerator(writer, { ...opts, hosts }).run(opts.packets);
  await writer.end();
}

function ipv4(a: number, b: number, c: number, d: number): number {
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

function parseV4(text: string): number {
  const [a, b, c, d] = text.split('.').map(Number) as [number, number, number, number];
  return ipv4(a, b, c, d);
}

/** RFC 5952 text to 16 bytes (only the forms used in this file: one `::` at most). */
function parseV6(text: string): Buffer {
  const out = Buffer.alloc(16);
  const [head, tail] = text.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  h.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  t.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), 16 - (t.length - i) * 2));
  return out;
}

function encodeDnsName(name: string): Buffer {
  const parts = name.split('.');
  const out = Buffer.alloc(name.length + 2);
  let o = 0;
  for (const p of parts) {
    out[o++] = p.length;
    o += out.write(p, o, 'ascii');
  }
  out[o] = 0;
  return out;
}

async function main(): Promise<number> {
  const usage = 'usage: gen-capture OUT.pcap --packets N --seed S [--hosts H] [--snaplen BYTES]';
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        packets: { type: 'string', default: '1000000' },
        seed: { type: 'string', default: '1' },
        hosts: { type: 'string' },
        snaplen: { type: 'string' },
        help: { type: 'boolean' },
      },
    });
  } catch (err) {
    process.stderr.write(`gen-capture: ${(err as Error).message}\n${usage}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const out = positionals[0];
  const num = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));
  if (positionals.length !== 1 || out === undefined) {
    process.stderr.write(`gen-capture: give one output file\n${usage}\n`);
    return 2;
  }
  const opts = { packets: num(values.packets)!, seed: num(values.seed)!, hosts: num(values.hosts), snaplen: num(values.snaplen) };
  const started = process.hrtime.bigint();
  try {
    await generateLanCapture(out, opts);
  } catch (err) {
    process.stderr.write(`gen-capture: ${(err as Error).message}\n`);
    return err instanceof RangeError ? 2 : 1;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const size = fs.statSync(out).size;
  process.stderr.write(`gen-capture: ${opts.packets} packets, ${(size / 1e6).toFixed(1)} MB in ${seconds.toFixed(2)} s → ${out}\n`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then((code) => (process.exitCode = code));
}
