/**
 * trk-threshold against ipband itself, on the same traffic.
 *
 * A capture of steady bandwidth (helpers/bandwidth-capture.ts) is replayed
 * with tcpreplay onto a veth pair while ipband listens on the other end, and
 * trk-threshold reads the same file with the same options. Which subnets
 * were judged over, which were reported, how many times, and each report's
 * top connections with their kbytes must agree.
 *
 * HOW IPBAND KEEPS TIME (ipband 0.8.1, main.c and packets.c). Its clock is
 * time(), whole seconds, read after each packet is processed; a period ends
 * at the first packet processed once time() has moved -a seconds past the
 * previous end, and that packet still counts in the old period. libpcap
 * (TPACKET_V3, pcap_open_live's 1000 ms timeout) hands ipband this light
 * traffic in one burst a second, when the kernel retires the ring's block,
 * so ipband sees a packet at the next 1-second tick after it arrived.
 * ipband has run for more than -a seconds when the first packet comes, so
 * that packet ends an (empty) period and anchors the next ones: they end at
 * ticks 2, 4, 6 … after it, which in arrival time is 2k − 1 + d after the
 * capture's start, d ∈ [0, 1) being where the first tick fell.
 * trk-threshold's periods of packet time end at 2, 4, 6 … exactly (the
 * capture starts on an even second).
 *
 * THE SHAPE OF THE TRAFFIC, so that both must give the same reports, the
 * same number of them, whatever d is:
 *   10.1.1.0/24 → 192.0.2.0/24, 0 to 14.8 s: four connections, ~59.5 kB/s
 *     together (30.2, 17.6, 8.8, 2.9), all the time over the 20 kB/s
 *     threshold. Both subnets are judged over at the first period's end
 *     (ipband's first period holds 1 + d ≥ 1 s of it: ≥ 29.8 kB/s), so
 *     logging starts at 2 (trk) and at 1 + d (ipband, in arrival time), and
 *     reports come 4, 8 and 12 s later: three, the windows [2, 6), [2, 10),
 *     [2, 14) and [1 + d, 5 + d) …  [1 + d, 13 + d), all inside the steady
 *     stretch. A fourth would need two more periods over: trk's [14, 16)
 *     holds 0.8 s (over) but [16, 18) nothing; ipband's (13 + d, 15 + d]
 *     holds 1.8 − d s and (15 + d, 17 + d] nothing. Exactly three each.
 *     With -t 3 the 2.9 kB/s connection is cut from every report.
 *   10.1.2.0/24 → 203.0.113.0/24, 0 to 19.5 s: 4.9 kB/s, never over; its
 *     trickle keeps packets coming after the heavy part, so that ipband,
 *     which judges only when a packet arrives, judges the last periods.
 *   10.1.3.0/24 → 198.51.100.0/24, 0 to 2.5 s: 52.7 kB/s, over in the first
 *     period for both (≥ 1 s of it), then under: exceeded, never reported
 *     (a report needs two more periods over after logging starts).
 *
 * THE TOLERANCE on kbytes. A report's kbytes are the bytes logged from the
 * start of logging to the report (ipband does not clear the detail when it
 * reports). In general ipband's logging window can start up to a period and
 * a second before or after trk's, which bounds the difference by rate ×
 * (a + 1 s). Here both windows have the same length (4, 8, 12 s) and lie
 * wholly in stretches where every connection is steady, so where the window
 * starts does not change what it holds; only its length can, and only by:
 * (1) a tick. ipband's ticks are 1 s apart in wall time but its periods
 * are counted in time() seconds: a tick that falls within milliseconds of a
 * second boundary can read the same second twice or skip one, making one of
 * ipband's periods a tick longer or shorter (the lengths telescope, so a
 * report's window is off by one tick at most, however many periods it
 * spans). runIpband starts ipband so that its ticks fall far from second
 * boundaries, so this should not happen; it did, before that, in about one
 * run in six (report 1 at 90.64 kB for 120.86). The bound keeps room for it,
 * and for tcpreplay falling behind for a moment at a window's edge:
 * rate × 1 s. (2) The packet that ends a period counts in the old one, and
 * the order inside a burst decides which packet that is: a frame at each end.
 * So each connection's kbytes may differ by rate × 1 s + 2 frames, about a
 * quarter of its kbytes in the first report. That still fails a window a
 * period longer or shorter (rate × 2 s), a lost period, or detail cleared at
 * each report (rate × 4 s and more).
 * The ranking is compared too: the connections' rates are far enough apart
 * that each gap exceeds the tolerance, so the order must be the same.
 * A tolerance this wide cannot see a few bytes a frame (the IP length counted
 * instead of the frame's: −14 bytes), so trk's bytes are also checked against
 * the file itself: exact, but for the frame on each edge of the window.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createNetns, netnsUnavailable, waitCarrier, waitUntil, type Netns } from './helpers/netns.js';
import { BIN } from './helpers/paths.js';
import { flowBytesPerSecond, steadyFrames, writeSteadyCapture, type SteadyFlow, type Timed } from './helpers/bandwidth-capture.js';

/** The capture's first second: even, so trk's 2-second periods start with the capture. */
const T0 = 1_700_000_000;
const AVERAGE = 2;
const REPORT = 4;
const THRESHOLD = 20;
const TOP = 3;
/** The options both get, after -C (which must come first for ipband: it resets every option given before it). */
const OPTIONS = ['-a', String(AVERAGE), '-r', String(REPORT), '-b', String(THRESHOLD), '-t', String(TOP)];

const HEAVY_END = 14.8;
const FLOWS: SteadyFlow[] = [
  { proto: 'tcp', src: '10.1.1.10', sport: 40001, dst: '192.0.2.10', dport: 80, frameLen: 1514, pps: 20, from: 0, to: HEAVY_END, ackEvery: 2 },
  { proto: 'udp', src: '10.1.1.11', sport: 40002, dst: '192.0.2.11', dport: 514, frameLen: 1000, pps: 18, from: 0, to: HEAVY_END },
  { proto: 'udp', src: '10.1.1.12', sport: 40003, dst: '192.0.2.12', dport: 53, frameLen: 600, pps: 15, from: 0, to: HEAVY_END },
  { proto: 'tcp', src: '10.1.1.13', sport: 40004, dst: '192.0.2.13', dport: 443, frameLen: 200, pps: 15, from: 0, to: HEAVY_END },
  { proto: 'udp', src: '10.1.2.20', sport: 40005, dst: '203.0.113.20', dport: 123, frameLen: 500, pps: 10, from: 0, to: 19.5 },
  { proto: 'udp', src: '10.1.3.30', sport: 40006, dst: '198.51.100.30', dport: 5001, frameLen: 1200, pps: 45, from: 0, to: 2.5 },
];
const EXPECT_EXCEEDED = ['10.1.1.0', '10.1.3.0', '192.0.2.0', '198.51.100.0'];
const EXPECT_REPORTED = ['10.1.1.0', '192.0.2.0'];
const EXPECT_REPORTS_EACH = 3;
/** See THE TOLERANCE above: one tick of ipband's clock at the connection's rate, and a frame at each end of the window. */
const EDGE_SECONDS = 1;
const EDGE_FRAMES = 2;

interface Row {
  a: string;
  aport: number;
  b: string;
  bport: number;
  proto: string;
  kbytes: number;
  svc: string;
}

interface TextReport {
  network: string;
  exceededMin: number;
  rows: Row[];
}

const rowKey = (r: Pick<Row, 'a' | 'aport' | 'b' | 'bport' | 'proto'>): string => `${r.a}:${r.aport} <-> ${r.b}:${r.bport} ${r.proto}`;

/** The reports in an ipband.txt (reports.c subnet_report): a "Network:" line, the threshold line, and the connection rows. */
function parseReportText(text: string): TextReport[] {
  const reports: TextReport[] = [];
  let cur: TextReport | undefined;
  for (const line of text.split('\n')) {
    const net = /^Network: (\S+)/.exec(line);
    if (net) {
      cur = { network: net[1]!, exceededMin: NaN, rows: [] };
      reports.push(cur);
      continue;
    }
    if (!cur) continue;
    const exc = /exceeded for: ([\d.]+) min/.exec(line);
    if (exc) cur.exceededMin = Number(exc[1]);
    const row = /^(\d+\.\d+\.\d+\.\d+)\s+<\s*(\d+)>\s+<->\s+(\d+\.\d+\.\d+\.\d+)\s+<\s*(\d+)>\s+(\S+)\s+([\d.]+)(?:\s+(\S+))?\s*$/.exec(line);
    if (row) {
      cur.rows.push({ a: row[1]!, aport: Number(row[2]), b: row[3]!, bport: Number(row[4]), proto: row[5]!, kbytes: Number(row[6]), svc: row[7] ?? '' });
    }
  }
  return reports;
}

/** ipband -d 2's table at each period's end: "*" marks a subnet being logged (over its threshold). */
function parseIpbandTable(text: string): { over: Set<string>; periods: number } {
  const over = new Set<string>();
  let periods = 0;
  for (const line of text.split('\n')) {
    if (/^\*{10,}/.test(line)) periods++;
    const m = /^\*(\d+\.\d+\.\d+\.\d+)\s+[\d.]+ kB/.exec(line);
    if (m) over.add(m[1]!);
  }
  return { over, periods };
}

const groupBy = <T>(items: T[], key: (t: T) => string): Map<string, T[]> => {
  const m = new Map<string, T[]>();
  for (const it of items) m.set(key(it), [...(m.get(key(it)) ?? []), it]);
  return m;
};

const sorted = (s: Iterable<string>): string[] => [...s].sort();

/** Which of FLOWS a report row is. */
function flowOf(row: Pick<Row, 'a' | 'aport' | 'b' | 'bport' | 'proto'>): number {
  const i = FLOWS.findIndex((f) => rowKey(row) === rowKey(flowRow(f)));
  assert.ok(i >= 0, `a row for a connection the capture does not have: ${rowKey(row)}`);
  return i;
}

/** Tolerance in kB for a connection's row, from the flow it is (see THE TOLERANCE). */
function toleranceKB(row: Row): number {
  const flow = FLOWS[flowOf(row)]!;
  return (flowBytesPerSecond(flow) * EDGE_SECONDS + EDGE_FRAMES * flow.frameLen) / 1024;
}

/** Bytes of flow `k` in the capture from `from` to `to` seconds after its start (as the pcap's µs timestamps say). */
function bytesBetween(frames: readonly Timed[], k: number, from: number, to: number): number {
  let n = 0;
  for (const f of frames) {
    const us = Math.round(f.t * 1e6);
    if (f.flow === k && us >= from * 1e6 && us < to * 1e6) n += f.frame.length;
  }
  return n;
}

/** The row ipband keys a flow by: the lower address (byte by byte) first, with its port. */
function flowRow(f: SteadyFlow): Omit<Row, 'kbytes' | 'svc'> {
  const n = (a: string): number => a.split('.').reduce((v, o) => v * 256 + Number(o), 0);
  return n(f.src) < n(f.dst)
    ? { a: f.src, aport: f.sport, b: f.dst, bport: f.dport, proto: f.proto }
    : { a: f.dst, aport: f.dport, b: f.src, bport: f.sport, proto: f.proto };
}

function missingTool(): string | false {
  const ns = netnsUnavailable();
  if (ns) return ns;
  for (const [tool, arg] of [['ipband', '-v'], ['tcpreplay', '--version'], ['stdbuf', '--version']] as const) {
    const r = spawnSync(tool, [arg], { stdio: 'ignore' });
    if (r.error) return `${tool} is not installed (apt-get install ${tool === 'stdbuf' ? 'coreutils' : tool}); the comparison with ipband needs it`;
  }
  return false;
}

interface IpbandRun {
  reports: TextReport[];
  table: string;
  /** Milliseconds past the second at which ipband's ring ticks (when its start line came). */
  phaseMs: number;
  /** When each of its period tables came, ms past the second: the ticks it judged at. */
  tickMs: number[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

interface Started {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  listeningAt: number;
  tickMs: number[];
  exited: Promise<number | null>;
}

/** ipband on the host end, -d 2 so that it says when it listens and prints its subnet table at each period's end. */
async function startIpband(ns: Netns, dir: string, outFile: string): Promise<Started> {
  // stdbuf: ipband's stdout is a pipe here and would otherwise come out only at exit
  const child: ChildProcess = spawn('stdbuf', ['-oL', 'ipband', '-C', '-d', '2', ...OPTIONS, '-o', outFile, ns.hostIf], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let listeningAt = NaN;
  const tickMs: number[] = [];
  child.stdout!.on('data', (d: Buffer) => {
    const now = Date.now();
    const text = String(d);
    if (Number.isNaN(listeningAt) && /DataLinkType/.test(text)) listeningAt = now;
    for (const line of text.split('\n')) if (/^\*{10,}/.test(line)) tickMs.push(now % 1000);
    out += text;
  });
  child.stderr!.on('data', (d: Buffer) => (err += d));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  await waitUntil(() => !Number.isNaN(listeningAt) || child.exitCode !== null, () => `ipband did not start: ${out} ${err}`);
  assert.equal(child.exitCode, null, `ipband exited: ${out} ${err}`);
  return { child, out: () => out, err: () => err, listeningAt, tickMs, exited };
}

/**
 * Replay `pcap` onto the veth pair while ipband listens on the host end; its report file and -d 2 table.
 *
 * ipband's clock ticks once a second at the phase its capture was opened at
 * (the kernel retires the ring's block on a timer armed then), and reads
 * time() at each tick. A tick a few milliseconds from a second boundary can
 * read the same second twice or skip one, and one of ipband's periods is then
 * a second longer or shorter. So ipband is started just after a second
 * begins, and started again if its capture opened too near a second's end.
 */
async function runIpband(ns: Netns, dir: string, pcap: string, frames: number): Promise<IpbandRun> {
  const outFile = path.join(dir, 'ipband.txt');
  let ip: Started | undefined;
  try {
    for (let attempt = 1; ; attempt++) {
      await sleep(1300 - (Date.now() % 1000)); // 300 ms past a second
      ip = await startIpband(ns, dir, outFile);
      const phase = ip.listeningAt % 1000;
      if ((phase >= 150 && phase <= 850) || attempt === 3) break;
      ip.child.kill('SIGTERM');
      await ip.exited;
    }
    // ipband's period clock started just after that line (time() then: that second, the phase is past
    // 150 ms). Once -a seconds have passed, the capture's first packet ends an empty period and anchors
    // the next ones to itself (see the top)
    await sleep((Math.floor(ip.listeningAt / 1000) + AVERAGE) * 1000 + 20 - Date.now());
    const replay = await ns.run('tcpreplay', ['-i', ns.peerIf, pcap], 60000);
    const ok = /Successful packets:\s+(\d+)/.exec(replay);
    assert.ok(ok, `tcpreplay said:\n${replay}`);
    assert.equal(Number(ok[1]), frames, `tcpreplay sent ${ok[1]} of ${frames} packets:\n${replay}`);
    assert.match(replay, /Failed packets:\s+0\b/, replay);
    // the last packets reach ipband at the next tick
    await sleep(1500);
  } finally {
    if (ip && ip.child.exitCode === null) ip.child.kill('SIGTERM');
  }
  await ip.exited;
  return {
    reports: fs.existsSync(outFile) ? parseReportText(fs.readFileSync(outFile, 'utf8')) : [],
    table: ip.out() + ip.err(),
    phaseMs: ip.listeningAt % 1000,
    tickMs: ip.tickMs,
  };
}

interface TrkRun {
  reports: TextReport[];
  records: Array<Record<string, unknown>>;
  alerts: Array<{ kind: string; net: string }>;
  stdout: string;
}

async function runTrk(dir: string, pcap: string): Promise<TrkRun> {
  const outFile = path.join(dir, 'trk.txt');
  const child = spawn(process.execPath, [BIN('trk-threshold'), '--read', pcap, '-C', ...OPTIONS, '-o', outFile], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TZ: 'UTC' },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  child.stderr.on('data', (d: Buffer) => (err += d));
  const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
  assert.equal(code, 0, `trk-threshold exited ${code}: ${err}`);
  const records: Array<Record<string, unknown>> = [];
  const alerts: Array<{ kind: string; net: string }> = [];
  for (const line of out.split('\n')) {
    if (line.startsWith('{')) {
      const rec = JSON.parse(line) as Record<string, unknown>;
      if (rec.type === 'report') records.push(rec);
      continue;
    }
    const f = line.split(' ');
    if (f[2] === 'ALERT' && f[3] === 'BANDWIDTH') {
      const net = /(?:^|,)net=([^,/]+)/.exec(f[5] ?? '');
      assert.ok(net, `an ALERT BANDWIDTH line without net=: ${line}`);
      alerts.push({ kind: f[4]!, net: net[1]! });
    }
  }
  const text = fs.existsSync(outFile) ? fs.readFileSync(outFile, 'utf8') : '';
  return { reports: parseReportText(text), records, alerts, stdout: out };
}

function table(ipband: TextReport[], trk: TextReport[]): string {
  const lines: string[] = [];
  const byNet = groupBy(ipband, (r) => r.network);
  const trkByNet = groupBy(trk, (r) => r.network);
  for (const net of sorted(new Set([...byNet.keys(), ...trkByNet.keys()]))) {
    const a = byNet.get(net) ?? [];
    const b = trkByNet.get(net) ?? [];
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      lines.push(`${net} report ${i + 1}: exceeded ${a[i]?.exceededMin ?? '-'} / ${b[i]?.exceededMin ?? '-'} min`);
      const keys = [...new Set([...(a[i]?.rows ?? []), ...(b[i]?.rows ?? [])].map(rowKey))];
      for (const k of keys) {
        const x = a[i]?.rows.find((r) => rowKey(r) === k);
        const y = b[i]?.rows.find((r) => rowKey(r) === k);
        lines.push(`  ${k.padEnd(46)} ipband ${String(x?.kbytes ?? '-').padStart(8)}  trk ${String(y?.kbytes ?? '-').padStart(8)}`);
      }
    }
  }
  return lines.join('\n');
}

const skip = missingTool();

test('trk-threshold --read reports what ipband reported live on the same traffic', { skip, timeout: 60000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trk-ipband-'));
  try {
    const pcap = path.join(dir, 'steady.pcap');
    const frames = steadyFrames(FLOWS);
    await writeSteadyCapture(pcap, T0, frames);
    const ns = createNetns();
    let ipband: IpbandRun;
    try {
      await waitCarrier(ns);
      ipband = await runIpband(ns, dir, pcap, frames.length);
    } finally {
      ns.destroy();
    }
    const trk = await runTrk(dir, pcap);
    const sideBySide = table(ipband.reports, trk.reports);
    const clock = `ipband opened its capture ${ipband.phaseMs} ms past a second; its periods ended at ${ipband.tickMs.join(', ')} ms past`;
    const context = `\n${sideBySide}\n${clock}\nipband's subnet table:\n${ipband.table}\ntrk-threshold's output:\n${trk.stdout}`;
    process.stderr.write(`ipband vs trk-threshold kbytes:\n${sideBySide}\n${clock}\n`);

    // ipband itself saw the traffic as it was made: otherwise the comparison says nothing
    const ipTable = parseIpbandTable(ipband.table);
    assert.ok(ipTable.periods >= 8, `ipband judged only ${ipTable.periods} periods${context}`);
    assert.deepEqual(sorted(ipTable.over), EXPECT_EXCEEDED, `subnets ipband judged over${context}`);
    const ipbandByNet = groupBy(ipband.reports, (r) => r.network);
    assert.deepEqual(sorted(ipbandByNet.keys()), EXPECT_REPORTED, `subnets ipband reported${context}`);

    // the same subnets exceeded (ALERT BANDWIDTH exceeded) and the same reported, exactly
    assert.deepEqual(sorted(new Set(trk.alerts.filter((a) => a.kind === 'exceeded').map((a) => a.net))), sorted(ipTable.over), `subnets exceeded${context}`);
    const trkByNet = groupBy(trk.reports, (r) => r.network);
    assert.deepEqual(sorted(trkByNet.keys()), sorted(ipbandByNet.keys()), `subnets reported${context}`);

    for (const [net, ipReports] of ipbandByNet) {
      const trkReports = trkByNet.get(net)!;
      // exact: the capture is shaped so that both make three reports whatever ipband's phase (see the top)
      assert.equal(ipReports.length, EXPECT_REPORTS_EACH, `ipband's reports for ${net}${context}`);
      assert.equal(trkReports.length, ipReports.length, `reports for ${net}${context}`);
      ipReports.forEach((ip, i) => {
        const tr = trkReports[i]!;
        const where = `${net} report ${i + 1}`;
        // exceeded for: 4, 8, 12 s; a tick can make one of ipband's periods a second longer or shorter
        assert.ok(Math.abs(ip.exceededMin - tr.exceededMin) * 60 <= EDGE_SECONDS + 0.6, `${where}: exceeded for ${ip.exceededMin} min (ipband) vs ${tr.exceededMin} min${context}`);
        assert.equal(ip.rows.length, TOP, `${where}: ipband shows the top ${TOP}${context}`);
        assert.deepEqual(tr.rows.map(rowKey).sort(), ip.rows.map(rowKey).sort(), `${where}: the top connections${context}`);
        for (const r of ip.rows) {
          const t = tr.rows.find((x) => rowKey(x) === rowKey(r))!;
          const tol = toleranceKB(r);
          assert.ok(Math.abs(t.kbytes - r.kbytes) <= tol, `${where}: ${rowKey(r)} ${t.kbytes} kB, ipband ${r.kbytes} kB (tolerance ${tol.toFixed(2)})${context}`);
          if (r.svc) assert.equal(t.svc, r.svc, `${where}: service of ${rowKey(r)}${context}`);
        }
        // the ranking, wherever ipband's gap between neighbours is wider than their tolerances
        for (let j = 0; j + 1 < ip.rows.length; j++) {
          const [hi, lo] = [ip.rows[j]!, ip.rows[j + 1]!];
          if (hi.kbytes - lo.kbytes <= Math.max(toleranceKB(hi), toleranceKB(lo))) continue;
          const order = tr.rows.map(rowKey);
          assert.ok(order.indexOf(rowKey(hi)) < order.indexOf(rowKey(lo)), `${where}: ${rowKey(hi)} must rank above ${rowKey(lo)}${context}`);
        }
      });
    }

    // the report records on stdout say what the text says (kbytes printed with %.2f: within half a hundredth)
    assert.deepEqual(
      trk.records.map((rec) => String(rec.address)),
      trk.reports.map((r) => r.network),
      `report records and the -o text${context}`,
    );
    trk.records.forEach((rec, i) => {
      const text = trk.reports[i]!;
      const conns = (rec.conns as Array<Record<string, unknown>> | undefined) ?? [];
      const rows = conns.map((c) => ({ key: rowKey({ a: String(c.a), aport: Number(c.aport), b: String(c.b), bport: Number(c.bport), proto: String(c.proto) }), kB: Number(c.bytes) / 1024 }));
      assert.deepEqual(rows.map((r) => r.key), text.rows.map(rowKey), `report record ${i + 1} and the -o text${context}`);
      rows.forEach((r, j) => assert.ok(Math.abs(r.kB - text.rows[j]!.kbytes) <= 0.0051, `report record ${i + 1}: ${r.key} ${r.kB} kB, the text says ${text.rows[j]!.kbytes}`));
    });
    // and trk's bytes are what the file holds: a report's connections carry the bytes from the end of the
    // first period (2 s, when logging starts) to the end of the period that fired it (REPORT s apart),
    // give or take the frame exactly on each edge: what ipband would log with a perfect clock
    for (const [net, recs] of groupBy(trk.records, (r) => String(r.address))) {
      recs.forEach((rec, i) => {
        const to = AVERAGE + REPORT * (i + 1);
        for (const c of (rec.conns as Array<Record<string, unknown>> | undefined) ?? []) {
          const k = flowOf({ a: String(c.a), aport: Number(c.aport), b: String(c.b), bport: Number(c.bport), proto: String(c.proto) });
          const want = bytesBetween(frames, k, AVERAGE, to);
          assert.ok(
            Math.abs(Number(c.bytes) - want) <= 2 * FLOWS[k]!.frameLen,
            `${net} report ${i + 1}: ${String(c.a)}:${String(c.aport)} has ${String(c.bytes)} bytes; the capture has ${want} from ${AVERAGE} to ${to} s${context}`,
          );
        }
      });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
