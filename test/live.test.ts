/**
 * Live capture on a real interface: the host end of a veth pair whose other
 * end is in a network namespace made for the test. Known traffic is sent from
 * inside the namespace (pings, a UDP burst, a TCP transfer to a server in
 * this process), captured with each engine, and counted exactly.
 *
 * Needs root (namespaces, packet sockets); skipped with the reason otherwise.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { captureLive, listInterfaces, type LiveOptions } from '../src/capture/live.js';
import { CAP_SNAPLEN } from '../src/capture/live-cap.js';
import { capMissing } from '../src/capture/live-errors.js';
import type { Packet } from '../src/decode/packet.js';
import { decodePacket } from '../src/decode/index.js';
import type { PacketSink, SourceSummary } from '../src/capture/source.js';
import { createNetns, netnsUnavailable, waitCarrier, waitUntil, type Netns } from './helpers/netns.js';
import { BIN, REPO_ROOT } from './helpers/paths.js';

const skip = netnsUnavailable();
const hasTcpdump = spawnSync('tcpdump', ['--version']).status === 0;
const UDP_PORT = 5514;
const TCP_PORT = 5515;

/** What a capture saw, told apart by reading the headers by offset (Ethernet/IPv4 only: IPv6 is off on the veth). */
class Tally implements PacketSink {
  total = 0;
  echoRequests = 0;
  echoReplies = 0;
  udp = 0;
  tcp = 0;
  /** Bytes of the stream from the namespace to the host, by sequence number: retransmissions count once. */
  tcpPayloadToHost = 0;
  private isn = -1;
  syns = 0;
  fins = 0;
  other = 0;
  /** Packets whose wire length disagrees with their IP header, or caplen > len. */
  badLengths = 0;
  largest = 0;
  truncated = 0;
  ifNames = new Set<string | undefined>();
  firstTs = -1;
  lastTs = -1;

  constructor(private readonly ns: Netns) {}

  packet(p: Packet): void {
    decodePacket(p); // as every consumer does: it also completes a cut packet's wire length
    this.total++;
    this.ifNames.add(p.ifName);
    const ts = p.tsSec + p.tsFrac / 10 ** p.tsDigits;
    if (this.firstTs < 0) this.firstTs = ts;
    this.lastTs = ts;
    if (p.len > this.largest) this.largest = p.len;
    if (p.caplen < p.len) this.truncated++;
    const b = p.data;
    const s = p.start;
    if (p.caplen > p.len || p.caplen < 34 || b.readUInt16BE(s + 12) !== 0x0800) {
      this.other++;
      return;
    }
    const ihl = (b[s + 14]! & 0x0f) * 4;
    const totalLength = b.readUInt16BE(s + 16);
    // Ethernet frames under 60 bytes are padded: the wire length may exceed the IP datagram
    if (!(p.len === 14 + totalLength || (p.len === 60 && 14 + totalLength < 60))) this.badLengths++;
    const proto = b[s + 23]!;
    const l4 = s + 14 + ihl;
    const src = `${b[s + 26]}.${b[s + 27]}.${b[s + 28]}.${b[s + 29]}`;
    if (proto === 1) {
      const type = b[l4]!;
      if (type === 8) this.echoRequests++;
      else if (type === 0) this.echoReplies++;
      else this.other++;
    } else if (proto === 17 && b.readUInt16BE(l4 + 2) === UDP_PORT) {
      this.udp++;
    } else if (proto === 6 && (b.readUInt16BE(l4) === TCP_PORT || b.readUInt16BE(l4 + 2) === TCP_PORT)) {
      this.tcp++;
      const flags = b[l4 + 13]!;
      if (flags & 0x02) this.syns++;
      if (flags & 0x01) this.fins++;
      const dataOffset = (b[l4 + 12]! >> 4) * 4;
      if (src === this.ns.peerIp) {
        const seq = b.readUInt32BE(l4 + 4);
        if (flags & 0x02) this.isn = seq;
        const payload = totalLength - ihl - dataOffset;
        // the first data byte has sequence number ISN + 1
        const end = ((seq - this.isn) >>> 0) - 1 + payload;
        if (this.isn >= 0 && payload > 0 && end > this.tcpPayloadToHost) this.tcpPayloadToHost = end;
      }
    } else {
      this.other++;
    }
  }

  drain(): undefined {
    return undefined;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Starts a capture on the namespace's host end and resolves once it is listening. */
async function startCapture(
  ns: Netns,
  engine: 'cap' | 'tcpdump',
  extra: Partial<LiveOptions> = {},
): Promise<{ tally: Tally; stop: AbortController; done: Promise<SourceSummary> }> {
  const stop = new AbortController();
  const tally = new Tally(ns);
  let listening!: () => void;
  const ready = new Promise<void>((r) => (listening = r));
  const done = captureLive(
    { iface: ns.hostIf, snaplen: 0, promisc: true, bufferMiB: 32, engine, signal: stop.signal, onListening: listening, ...extra },
    tally,
  );
  await Promise.race([ready, done]);
  return { tally, stop, done };
}

/** Sends COUNT datagrams of 100 bytes from the namespace to the host. */
function udpBurst(ns: Netns, count: number): Promise<string> {
  const code = `const s=require('dgram').createSocket('udp4');const b=Buffer.alloc(100,7);let n=0;
    const next=()=>{if(n===${count})return s.close();n++;s.send(b,${UDP_PORT},'${ns.hostIp}',next)};next();`;
  return ns.run(process.execPath, ['-e', code]);
}

/** Sends PPS datagrams a second for SECONDS from the namespace to the host, in bursts every 5 ms. */
function udpStream(ns: Netns, pps: number, seconds: number): Promise<string> {
  const perTick = Math.round(pps / 200);
  const code = `const s=require('dgram').createSocket('udp4');const b=Buffer.alloc(64,7);let left=${pps * seconds};
    const t=setInterval(()=>{for(let i=0;i<${perTick}&&left>0;i++,left--)s.send(b,${UDP_PORT},'${ns.hostIp}');
    if(left===0){clearInterval(t);setTimeout(()=>s.close(),100)}},5);`;
  return ns.run(process.execPath, ['-e', code]);
}

/** Sends BYTES over TCP from the namespace to the host's server, then closes. */
function tcpTransfer(ns: Netns, bytes: number): Promise<string> {
  const code = `const c=require('net').connect(${TCP_PORT},'${ns.hostIp}',()=>c.end(Buffer.alloc(${bytes},9)));c.resume();`;
  return ns.run(process.execPath, ['-e', code]);
}

describe('live capture on a veth pair', { skip }, () => {
  let ns: Netns;
  let udpSink: dgram.Socket;
  let tcpServer: net.Server;
  let tcpReceived = 0;

  before(async () => {
    ns = createNetns();
    process.once('exit', () => ns.destroy());
    await waitCarrier(ns);
    // listeners on the host, so nothing is answered with ICMP port unreachable
    udpSink = dgram.createSocket('udp4');
    await new Promise<void>((r) => udpSink.bind(UDP_PORT, ns.hostIp, r));
    tcpServer = net.createServer((sock) => {
      sock.on('data', (d: Buffer) => (tcpReceived += d.length));
      sock.on('end', () => sock.end());
    });
    await new Promise<void>((r) => tcpServer.listen(TCP_PORT, ns.hostIp, r));
    // a first packet through the fresh link, so no test sees the link come up
    await ns.run('ping', ['-c', '1', '-W', '2', ns.hostIp]);
  });

  after(() => {
    udpSink?.close();
    tcpServer?.close();
    ns?.destroy();
  });

  for (const engine of ['cap', 'tcpdump'] as const) {
    const engineSkip = engine === 'tcpdump' && !hasTcpdump ? 'tcpdump is not installed' : false;

    test(`${engine}: sees every packet of pings, a UDP burst and a TCP transfer`, { skip: engineSkip }, async () => {
      const { tally, stop, done } = await startCapture(ns, engine);
      tcpReceived = 0;
      await ns.run('ping', ['-c', '20', '-i', '0.005', '-q', ns.hostIp]);
      await udpBurst(ns, 300);
      await tcpTransfer(ns, 1_000_000);
      await sleep(300);
      stop.abort();
      const summary = await done;
      assert.equal(tcpReceived, 1_000_000);
      assert.equal(tally.echoRequests, 20);
      assert.equal(tally.echoReplies, 20);
      assert.equal(tally.udp, 300);
      assert.equal(tally.tcpPayloadToHost, 1_000_000);
      assert.equal(tally.syns, 2); // SYN and SYN-ACK
      assert.equal(tally.fins, 2);
      assert.equal(tally.other, 0);
      assert.equal(tally.badLengths, 0);
      assert.deepEqual([...tally.ifNames], [ns.hostIf]);
      assert.equal(summary.packets, tally.total);
      if (engine === 'tcpdump') {
        assert.equal(summary.kernelDrops, 0);
        assert.equal(summary.ifDrops, 0);
        // 512 bytes of each packet by default: TSO super-packets are cut, their wire length is tcpdump's
        assert.ok(tally.truncated > 0);
      } else {
        assert.equal(summary.kernelDrops, undefined);
        assert.equal(summary.engineDrops, undefined);
      }
    });

    test(`${engine}: a BPF filter keeps only what it matches`, { skip: engineSkip }, async () => {
      const { tally, stop, done } = await startCapture(ns, engine, { filter: 'udp' });
      await ns.run('ping', ['-c', '5', '-i', '0.005', '-q', ns.hostIp]);
      await udpBurst(ns, 50);
      await sleep(200);
      stop.abort();
      const summary = await done;
      assert.equal(tally.udp, 50);
      assert.equal(tally.total, 50);
      assert.equal(summary.packets, 50);
    });

    test(`${engine}: count ends the capture by itself`, { skip: engineSkip }, async () => {
      const { tally, stop, done } = await startCapture(ns, engine, { count: 5, filter: 'icmp' });
      const ping = ns.run('ping', ['-c', '20', '-i', '0.01', '-q', ns.hostIp]);
      const summary = await Promise.race([done, sleep(5000).then(() => 'still running')]);
      stop.abort();
      await ping;
      assert.notEqual(summary, 'still running');
      assert.equal(tally.total, 5);
      assert.equal((summary as SourceSummary).packets, 5);
    });

    test(`${engine}: a duration ends the capture on time`, { skip: engineSkip }, async () => {
      const started = Date.now();
      const { done } = await startCapture(ns, engine, { durationSec: 0.5 });
      const summary = await done;
      const took = Date.now() - started;
      assert.equal(summary.packets, 0);
      assert.ok(took >= 500 && took < 1500, `took ${took} ms`);
    });

    test(`${engine}: a stop ends it cleanly with the packets so far`, { skip: engineSkip }, async () => {
      const { tally, stop, done } = await startCapture(ns, engine, { filter: 'icmp' });
      await ns.run('ping', ['-c', '3', '-i', '0.01', '-q', ns.hostIp]);
      await sleep(100);
      stop.abort();
      const summary = await done;
      assert.equal(tally.total, 6);
      assert.deepEqual(summary, engine === 'cap' ? { packets: 6 } : { packets: 6, kernelDrops: 0, ifDrops: 0 });
    });

    test(`${engine}: errors are one line with the fix`, { skip: engineSkip }, async () => {
      const base = { snaplen: 0, promisc: true, bufferMiB: 4, engine, signal: new AbortController().signal };
      const sink = new Tally(ns);
      await assert.rejects(captureLive({ ...base, iface: 'trknosuch0' }, sink), {
        name: 'InputError',
        message: 'cannot open trknosuch0: no such device (trk-capture -D lists the interfaces)',
      });
      await assert.rejects(captureLive({ ...base, iface: ns.hostIf, filter: 'udp and' }, sink), {
        name: 'InputError',
        message: "bad filter 'udp and': can't parse filter expression: syntax error",
      });
    });

    test(`${engine}: without privileges, says how to get them`, { skip: engineSkip }, () => {
      // a child with no capabilities at all: root's uid (so it can read the
      // repo wherever it was cloned) but an empty capability bounding set
      const script = `import(${JSON.stringify(path.join(REPO_ROOT, 'dist/src/capture/live.js'))}).then(m => m.captureLive(
        { iface: ${JSON.stringify(ns.hostIf)}, snaplen: 0, promisc: true, bufferMiB: 4, engine: '${engine}', signal: new AbortController().signal },
        { packet() {}, drain() {} })).then(() => console.log('opened'), e => console.log(e.name + ': ' + e.message))`;
      const child = spawnSync(
        'setpriv',
        ['--inh-caps=-all', '--bounding-set=-all', process.execPath, '-e', script],
        { encoding: 'utf8', timeout: 10000 },
      );
      const fix =
        engine === 'cap'
          ? 'run as root, or give node the capabilities: setcap cap_net_raw,cap_net_admin=eip "$(readlink -f "$(command -v node)")"'
          : 'run as root, or give tcpdump the capabilities: setcap cap_net_raw,cap_net_admin=eip "$(readlink -f "$(command -v tcpdump)")"';
      assert.equal(
        child.stdout.trim(),
        `InputError: cannot open ${ns.hostIf}: permission denied (socket: Operation not permitted); ${fix}`,
      );
    });
  }

  test('cap: with -s, caplen is cut and the wire length comes from the IP header', async () => {
    const { tally, stop, done } = await startCapture(ns, 'cap', { snaplen: 100, filter: 'icmp' });
    // 1000 bytes of ICMP data: 14 + 20 + 8 + 1000 = 1042 bytes on the wire
    await ns.run('ping', ['-c', '3', '-i', '0.01', '-s', '1000', '-q', ns.hostIp]);
    await sleep(100);
    stop.abort();
    await done;
    assert.equal(tally.total, 6);
    assert.equal(tally.truncated, 6);
    assert.equal(tally.largest, 1042);
    assert.equal(tally.badLengths, 0);
  });

  test('cap: TSO super-packets longer than its 65535-byte snaplen get their wire length back', async () => {
    const { tally, stop, done } = await startCapture(ns, 'cap', { filter: `tcp port ${TCP_PORT}` });
    await tcpTransfer(ns, 4_000_000);
    await sleep(200);
    stop.abort();
    await done;
    assert.equal(tally.tcpPayloadToHost, 4_000_000);
    assert.equal(tally.badLengths, 0);
    // the veth passes GSO packets whole; when one is longer than cap's snaplen, it is cut
    if (tally.largest > CAP_SNAPLEN) assert.ok(tally.truncated > 0);
  });

  test('cap: a consumer slower than the traffic cannot keep the capture from stopping on time', async () => {
    // 100 µs per packet = 10k packets a second at most, against 20k a second: cap's packet loop
    // would never give the event loop a turn, so neither the stop (a timer here, a signal in the
    // command) nor anything else could run until the traffic ends, without the engine's guard
    const spin = (): void => {
      const until = performance.now() + 0.1;
      while (performance.now() < until);
    };
    let handled = 0;
    const started = Date.now();
    const stop = new AbortController();
    let listening!: () => void;
    const ready = new Promise<void>((r) => (listening = r));
    const done = captureLive(
      { iface: ns.hostIf, filter: 'udp', snaplen: 0, promisc: true, bufferMiB: 32, engine: 'cap', signal: stop.signal, onListening: listening },
      { packet: () => (spin(), void handled++), drain: () => undefined },
    );
    await ready;
    const traffic = udpStream(ns, 20000, 3);
    setTimeout(() => stop.abort(), 1000);
    const summary = await done;
    const took = Date.now() - started;
    await traffic;
    assert.ok(took < 1700, `took ${took} ms`);
    assert.equal(summary.packets, handled);
    assert.ok(summary.engineDrops !== undefined && summary.engineDrops > 0, JSON.stringify(summary));
  });

  test('cap: packets keep landing in live memory while the garbage collector runs (cap holds no reference)', async () => {
    // a child with --expose-gc captures a ping flood while forcing full collections:
    // if the engine let go of the Buffer cap writes into, node would abort within a second
    const script = `
      const { captureLive } = await import(${JSON.stringify(path.join(REPO_ROOT, 'dist/src/capture/live.js'))});
      const stop = new AbortController();
      let n = 0;
      const gcs = setInterval(() => { for (let i = 0; i < 50; i++) Buffer.alloc(1024); global.gc(); }, 5);
      setTimeout(() => { clearInterval(gcs); stop.abort(); }, 3000);
      const s = await captureLive({ iface: ${JSON.stringify(ns.hostIf)}, snaplen: 0, promisc: true, bufferMiB: 32,
        engine: 'cap', signal: stop.signal }, { packet() { n++; }, drain() {} });
      console.log(JSON.stringify({ n, packets: s.packets }));`;
    const child = spawn(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    await sleep(300);
    const flood = udpStream(ns, 20000, 3);
    const code = await exited;
    await flood;
    assert.equal(code, 0, `child failed: ${err}`);
    const result = JSON.parse(out) as { n: number; packets: number };
    assert.equal(result.n, result.packets);
    // 20k packets a second for 3 s, of which the capture saw most (it started late and stopped early)
    assert.ok(result.packets > 40000, `only ${result.packets} packets captured`);
  });

  const cliRuns = spawnSync(process.execPath, [BIN('trk-capture'), '--version']).status === 0;
  const cliSkip = !cliRuns ? 'bin/trk-capture does not run yet' : !hasTcpdump ? 'tcpdump is not installed' : false;
  test('the CLI: SIGINT ends a live capture with the summary', { skip: cliSkip }, async () => {
    for (const engine of ['cap', 'tcpdump']) {
      const child = spawn(process.execPath, [BIN('trk-capture'), '-i', ns.hostIf, '--engine', engine, 'icmp'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d));
      child.stderr.on('data', (d: Buffer) => (err += d));
      const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
      // it says when the capture has begun, as tcpdump does
      await waitUntil(() => /listening on/.test(err) || child.exitCode !== null, () => `no 'listening on' from trk-capture: ${err}`);
      assert.equal(child.exitCode, null, err);
      assert.equal(err, `trk-capture: listening on ${ns.hostIf} (${engine} engine)\n`);
      await ns.run('ping', ['-c', '2', '-i', '0.01', '-q', ns.hostIp]);
      await sleep(200);
      child.kill('SIGINT');
      assert.equal(await exited, 0, err);
      assert.equal(out.trim().split('\n').length, 4, out);
      assert.match(err, new RegExp(`\ntrk-capture: 4 packets captured on ${ns.hostIf}`));
      if (engine === 'tcpdump') assert.match(err, /0 dropped by kernel/);
    }
  });
});

test('listInterfaces names the loopback and the any pseudo-device', () => {
  const list = listInterfaces();
  const lo = list.find((d) => d.name === 'lo');
  assert.ok(lo, 'no lo');
  assert.ok(lo.addresses.includes('127.0.0.1'));
  assert.equal(lo.up, true);
  assert.ok(list.some((d) => d.name === 'any'));
});

test('without cap, live capture says what to install: npm install when it was never built, npm rebuild when it was', () => {
  assert.equal(
    capMissing('cap is not installed', false).message,
    "the cap engine is not available (cap is not installed): apt-get install libpcap-dev, then npm install again in trk's directory; or use --engine tcpdump",
  );
  assert.match(capMissing('cap did not load: bad ELF', true).message, /then npm rebuild cap; or use --engine tcpdump$/);
});
