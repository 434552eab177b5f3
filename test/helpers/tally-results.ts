/**
 * Hand-built trk-tally results for the -H and --live tests: counters that
 * add up the way the engine's do (a host row counts its packets as rx or
 * tx, the totals count each packet once).
 */
import type { ConnInfo, Counters, IntervalResult, Row, Table, BySpec } from '../../src/tally/types.js';

export function counters(c: Partial<Counters>): Counters {
  const base: Counters = {
    pkts: 0, bytes: 0, rxPkts: 0, rxBytes: 0, txPkts: 0, txBytes: 0, tcpPkts: 0, tcpBytes: 0, udpPkts: 0, udpBytes: 0,
    otherPkts: 0, otherBytes: 0, inBytes: 0, outBytes: 0, internalBytes: 0, transitBytes: 0, martianBytes: 0,
  };
  const out = { ...base, ...c };
  // unless given, the whole row is one protocol-less, direction-less lump split evenly between rx and tx
  if (c.pkts !== undefined && c.rxPkts === undefined && c.txPkts === undefined) {
    out.rxPkts = Math.floor(out.pkts / 2);
    out.txPkts = out.pkts - out.rxPkts;
  }
  if (c.bytes !== undefined && c.rxBytes === undefined && c.txBytes === undefined) {
    out.rxBytes = Math.floor(out.bytes / 2);
    out.txBytes = out.bytes - out.rxBytes;
  }
  return out;
}

export function row(key: string, c: Partial<Counters>, conn?: ConnInfo): Row {
  return conn === undefined ? { key, ...counters(c) } : { key, ...counters(c), conn };
}

export function by(name: string): BySpec {
  const kind = name.split('/')[0] as BySpec['kind'];
  return kind === 'subnet' ? { kind, name, bits4: Number(name.split('/')[1]), bits6: 64 } : { kind, name };
}

export function table(byName: string, rows: Row[], total: Partial<Counters>, extra: Partial<Table> = {}): Table {
  const t: Table = { by: by(byName), rows, total: { ...counters(total), rxPkts: 0, rxBytes: 0, txPkts: 0, txBytes: 0 }, evicted: 0, keys: rows.length };
  return { ...t, ...extra };
}

/** 2026-11-22 09:42:00 UTC, a minute's interval. */
export const START = Date.UTC(2026, 10, 22, 9, 42, 0) / 1000;

export function interval(tables: Table[], o: { start?: number; seconds?: number; partial?: boolean } = {}): IntervalResult {
  const start = o.start ?? START;
  const seconds = o.seconds ?? 60;
  return { start, end: start + seconds, seconds, partial: o.partial ?? false, tables };
}

/** A host table with `n` hosts, the first the heaviest, and direction and protocol splits. */
export function hostTable(n: number, o: { offset?: number; names?: boolean } = {}): Table {
  const rows: Row[] = [];
  let pkts = 0;
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const b = Math.round(4_000_000 / (i + 1)) + (o.offset ?? 0);
    const p = Math.round(b / 700);
    rows.push(row(`10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`, { pkts: p, bytes: b, tcpPkts: p, tcpBytes: Math.round(b * 0.8), udpBytes: b - Math.round(b * 0.8), inBytes: Math.round(b / 2), outBytes: b - Math.round(b / 2) }));
    pkts += p;
    bytes += b;
  }
  return table('host', rows, { pkts, bytes, tcpBytes: Math.round(bytes * 0.8), udpBytes: bytes - Math.round(bytes * 0.8), inBytes: Math.round(bytes / 2), outBytes: bytes - Math.round(bytes / 2) }, { keys: n });
}

/** A conversation in the minute from START; idle and bps as the engine derives them, unless given. */
export function conn(a: string, aPort: number, b: string, bPort: number, c: Partial<ConnInfo>): Row {
  const info: ConnInfo = {
    proto: 'tcp', a, aPort, b, bPort, aPkts: 0, aBytes: 0, bPkts: 0, bBytes: 0, aWin: -1, bWin: -1, state: '', first: START, last: START + 50, idle: 0, bps: 0, ...c,
  };
  if (c.idle === undefined) info.idle = Math.max(0, START + 60 - info.last);
  if (c.bps === undefined) info.bps = ((info.aBytes + info.bBytes) * 8) / Math.max(1, info.last - Math.max(info.first, START));
  return row(`${a}:${aPort}-${b}:${bPort}/${info.proto}`, {
    pkts: info.aPkts + info.bPkts,
    bytes: info.aBytes + info.bBytes,
    rxPkts: 0, rxBytes: 0, txPkts: 0, txBytes: 0,
    tcpPkts: info.proto === 'tcp' ? info.aPkts + info.bPkts : 0,
    tcpBytes: info.proto === 'tcp' ? info.aBytes + info.bBytes : 0,
    udpPkts: info.proto === 'udp' ? info.aPkts + info.bPkts : 0,
    udpBytes: info.proto === 'udp' ? info.aBytes + info.bBytes : 0,
  }, info);
}
