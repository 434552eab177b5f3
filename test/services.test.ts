/** The services table behind trk-classify's `svc`: services(5) parsing, the shipped copy, the well-known-side rule, ICMP names. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '../src/capture/source.js';
import { Packet } from '../src/decode/packet.js';
import { DEFAULT_SERVICES_PATH, icmpName, loadServices, parseServices, Services, shippedServices, systemServices } from '../src/net/services.js';
import { SHIPPED_SERVICES } from '../src/net/services-table.js';
import { serviceLines } from '../scripts/gen-services.js';

const TCP = 6;
const UDP = 17;
const SCTP = 132;
const UDPLITE = 136;

// Real netbase lines, plus the ways a hand-edited file goes wrong.
const SAMPLE = [
  '# Network services, Internet style',
  '',
  'tcpmux\t\t1/tcp\t\t\t\t# TCP port service multiplexer',
  'discard\t\t9/tcp\t\tsink null',
  'ssh\t\t22/tcp\t\t\t\t# SSH Remote Login Protocol',
  'domain\t\t53/tcp\t\t\t\t# Domain Name Server',
  'domain\t\t53/udp',
  'http\t\t80/tcp\t\twww\t\t# WorldWideWeb HTTP',
  'postgresql\t5432/tcp\tpostgres\t# PostgreSQL Database',
  'rtmp\t\t1/ddp\t\t\t# Routing Table Maintenance Protocol',
  'amqp\t\t5672/sctp',
  'dccp-thing   9999/dccp',
  'www-dup     80/tcp                    # second name for 80/tcp: first one wins',
  '   # indented comment',
  'noport',
  'badport     http/tcp',
  'toobig      70000/tcp',
  'bad"name    1234/tcp',
  'okname      1235/tcp    bad,alias',
  'nohash      1236/udp    alias1 alias2#comment-right-after',
  'crlf        1237/tcp\r',
  'upper       1238/TCP',
].join('\n');

test('parseServices: names, ports, protocols, aliases; comments and unknown protocols ignored; bad lines counted', () => {
  const parsed = parseServices(SAMPLE);
  assert.deepEqual(
    parsed.entries.map((e) => [e.name, e.port, e.proto, e.aliases]),
    [
      ['tcpmux', 1, 'tcp', []],
      ['discard', 9, 'tcp', ['sink', 'null']],
      ['ssh', 22, 'tcp', []],
      ['domain', 53, 'tcp', []],
      ['domain', 53, 'udp', []],
      ['http', 80, 'tcp', ['www']],
      ['postgresql', 5432, 'tcp', ['postgres']],
      ['amqp', 5672, 'sctp', []],
      ['dccp-thing', 9999, 'dccp', []],
      ['www-dup', 80, 'tcp', []],
      ['nohash', 1236, 'udp', ['alias1', 'alias2']],
      ['crlf', 1237, 'tcp', []],
      ['upper', 1238, 'tcp', []],
    ],
  );
  // noport, badport, toobig, bad"name, okname (bad alias): 5 bad lines, the first on line 15.
  assert.equal(parsed.badLines, 5);
  assert.equal(parsed.firstBadLine, 15);
});

test('Services: the first entry for a port wins, as with getservbyport; equal names are one string', () => {
  const s = new Services(parseServices(SAMPLE).entries, { kind: 'file', path: 'sample' });
  assert.equal(s.portName(TCP, 80), 'http');
  assert.equal(s.portName(TCP, 53), 'domain');
  assert.equal(s.portName(UDP, 53), 'domain');
  assert.equal(s.portName(UDP, 22), undefined, 'ssh is only registered for tcp in the sample');
  assert.equal(s.portName(SCTP, 5672), 'amqp');
  assert.equal(s.portName(TCP, 5672), undefined);
  assert.equal(s.portName(33, 9999), 'dccp-thing');
  assert.equal(s.portName(UDPLITE, 1236), 'nohash', 'UDP-Lite shares the udp names');
  assert.equal(s.portName(47, 80), undefined, 'GRE has no ports');
  assert.equal(s.portName(TCP, -1), undefined);
  assert.equal(s.portName(TCP, 65536), undefined);
});

test('the shipped table is a fresh parse of this machine\'s /etc/services (regenerate with scripts/gen-services.ts when not)', (t) => {
  if (!fs.existsSync(DEFAULT_SERVICES_PATH)) {
    t.skip(`${DEFAULT_SERVICES_PATH} is missing: apt-get install netbase`);
    return;
  }
  const fresh = parseServices(fs.readFileSync(DEFAULT_SERVICES_PATH, 'utf8'));
  const shipped = parseServices(SHIPPED_SERVICES);
  assert.equal(shipped.badLines, 0);
  assert.ok(shipped.entries.length > 300, `only ${shipped.entries.length} shipped entries`);
  assert.equal(serviceLines(shipped.entries), serviceLines(fresh.entries), 'stale: run npx tsc -p . && node dist/scripts/gen-services.js');
  assert.deepEqual(shipped.entries, fresh.entries);
});

test('loadServices: /etc/services by default, an explicit file, a missing explicit file is an InputError naming it', () => {
  const byDefault = loadServices();
  if (fs.existsSync(DEFAULT_SERVICES_PATH)) assert.deepEqual(byDefault.origin, { kind: 'file', path: DEFAULT_SERVICES_PATH });
  else assert.equal(byDefault.origin.kind, 'shipped');
  assert.equal(byDefault.portName(TCP, 443), 'https');

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trk-services-'));
  try {
    const file = path.join(dir, 'services');
    fs.writeFileSync(file, 'myapp 4443/tcp # local service\nbroken line here\nhttps 443/tcp\n');
    const custom = loadServices(file);
    assert.deepEqual(custom.origin, { kind: 'file', path: file });
    assert.equal(custom.portName(TCP, 4443), 'myapp');
    assert.equal(custom.portName(TCP, 22), undefined, 'an explicit file replaces the system table, it does not add to it');
    assert.equal(custom.badLines, 1);
    assert.equal(custom.firstBadLine, 2);

    const missing = path.join(dir, 'nope');
    assert.throws(
      () => loadServices(missing),
      (err: unknown) => err instanceof InputError && err.message === `cannot read services file ${missing}: no such file`,
    );
    assert.throws(() => loadServices(dir), (err: unknown) => err instanceof InputError && err.message.includes(dir) && err.message.includes('is a directory'));

    // Without an explicit file, a missing, unreadable or empty system file falls back to the shipped table.
    const empty = path.join(dir, 'empty');
    fs.writeFileSync(empty, '# nothing here\n');
    for (const system of [missing, dir, empty]) {
      const s = systemServices(system);
      assert.equal(s.origin.kind, 'shipped', system);
      assert.equal(s.portName(TCP, 22), 'ssh');
    }
    assert.deepEqual(systemServices(file).origin, { kind: 'file', path: file });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('shippedServices: netbase\'s names without the file', () => {
  const s = shippedServices();
  assert.equal(s.origin.kind, 'shipped');
  assert.equal(s.portName(TCP, 22), 'ssh');
  assert.equal(s.portName(UDP, 53), 'domain');
  assert.equal(s.portName(UDP, 123), 'ntp');
  assert.equal(s.portName(TCP, 3306), 'mysql');
  assert.equal(s.portName(TCP, 8080), 'http-alt');
});

test('serviceOf: the well-known side — registered beats unregistered, lower registered port wins, symmetric', () => {
  const s = shippedServices();
  const both = (proto: number, a: number, b: number): string | undefined => {
    const one = s.serviceOf(proto, a, b);
    assert.equal(s.serviceOf(proto, b, a), one, `${a}<->${b} must name the request and its reply alike`);
    return one;
  };
  assert.equal(both(TCP, 51000, 443), 'https');
  assert.equal(both(UDP, 53, 53), 'domain');
  assert.equal(both(UDP, 40000, 53), 'domain');
  assert.equal(both(TCP, 51000, 51001), undefined, 'neither port registered');
  assert.equal(both(TCP, 22, 80), 'ssh', 'both registered: lower wins');
  assert.equal(both(TCP, 443, 3306), 'https', 'a client whose ephemeral port is mysql reaching a web server');
  assert.equal(both(TCP, 50000, 3306), 'mysql');
  assert.equal(both(TCP, 3306, 8080), 'mysql', 'both registered: lower wins (documented decision)');
  assert.equal(both(TCP, 2049, 443), 'https', 'an ephemeral port that happens to be nfs');
  assert.equal(both(TCP, 10050, 8080), 'http-alt', 'a FreeBSD ephemeral port that happens to be zabbix-agent');
  assert.equal(both(TCP, 57000, 8443), 'dircproxy', 'the known miss: a named ephemeral port and an unnamed server port');
  assert.equal(both(UDP, 51000, 443), 'https', 'netbase names udp 443 too (QUIC)');
  assert.equal(both(UDP, 40000, 22), undefined, 'ssh is tcp-only in netbase: names are per protocol');
  assert.equal(both(UDPLITE, 51000, 53), 'domain', 'UDP-Lite uses the udp names');
  assert.equal(both(SCTP, 40000, 5672), 'amqp');
  assert.equal(both(TCP, 0, 1), 'tcpmux', 'port 0 is a port');
});

test('serviceOf: absent ports (-1: non-first fragments) and portless protocols give undefined', () => {
  const s = shippedServices();
  assert.equal(s.serviceOf(TCP, -1, -1), undefined);
  assert.equal(s.serviceOf(UDP, -1, -1), undefined);
  assert.equal(s.serviceOf(-1, -1, -1), undefined);
  assert.equal(s.serviceOf(47, 22, 80), undefined, 'GRE');
  assert.equal(s.serviceOf(1, 8, 0), undefined, 'ICMP is named by icmpName, not by ports');
  assert.equal(s.serviceOf(TCP, 65536, 70000), undefined, 'out of range');
});

test('icmpName: one token per message type, the same name for the same message in v4 and v6', () => {
  const v4: [number, string][] = [
    [0, 'echo-reply'],
    [3, 'dest-unreach'],
    [5, 'redirect'],
    [8, 'echo-request'],
    [9, 'router-advert'],
    [10, 'router-solicit'],
    [11, 'time-exceeded'],
    [12, 'param-problem'],
    [13, 'timestamp-request'],
    [14, 'timestamp-reply'],
  ];
  for (const [type, name] of v4) assert.equal(icmpName(4, type, 0), name, `icmp ${type}`);
  const v6: [number, string][] = [
    [1, 'dest-unreach'],
    [2, 'packet-too-big'],
    [3, 'time-exceeded'],
    [4, 'param-problem'],
    [128, 'echo-request'],
    [129, 'echo-reply'],
    [130, 'mld-query'],
    [131, 'mld-report'],
    [132, 'mld-done'],
    [133, 'router-solicit'],
    [134, 'router-advert'],
    [135, 'neighbor-solicit'],
    [136, 'neighbor-advert'],
    [137, 'redirect'],
    [143, 'mld2-report'],
  ];
  for (const [type, name] of v6) assert.equal(icmpName(6, type, 0), name, `icmp6 ${type}`);
  assert.equal(icmpName(4, 3, 3), 'dest-unreach', 'the code does not split a message type');
  assert.equal(icmpName(4, 3, 4), 'dest-unreach');
  assert.equal(icmpName(6, 138, 0), 'router-renum-command', 'router renumbering: the code names the message');
  assert.equal(icmpName(6, 138, 1), 'router-renum-result');
  assert.equal(icmpName(6, 138, 255), 'router-renum-reset');
  assert.equal(icmpName(6, 138, 7), 'router-renum');
  assert.equal(icmpName(4, 128, 0), undefined, 'ICMPv6 numbers mean nothing in ICMPv4');
  assert.equal(icmpName(6, 8, 0), undefined);
  assert.equal(icmpName(4, 2, 0), undefined, 'unassigned');
  assert.equal(icmpName(4, -1, -1), undefined, 'absent');
  assert.equal(icmpName(6, -1, -1), undefined);
  assert.equal(icmpName(6, 256, 0), undefined);
});

test('every name is one token that JSON, awk and k=v details can carry as is', () => {
  const names: string[] = [];
  for (let type = 0; type < 256; type++) {
    for (const version of [4, 6] as const) {
      const name = icmpName(version, type, 0);
      if (name !== undefined) names.push(name);
    }
  }
  names.push(...parseServices(SHIPPED_SERVICES).entries.map((e) => e.name));
  for (const name of names) assert.match(name, /^[a-z0-9][a-z0-9._+-]*$/i, name);
});

test('ofPacket: ports for TCP/UDP/SCTP, message names for ICMP and ICMPv6, nothing for a fragment', () => {
  const s = shippedServices();
  const p = new Packet();
  p.proto = TCP;
  p.sport = 51000;
  p.dport = 443;
  assert.equal(s.ofPacket(p), 'https');
  p.resetLayers();
  p.proto = UDP;
  p.frag = true;
  assert.equal(s.ofPacket(p), undefined);
  p.resetLayers();
  p.proto = 1;
  p.itype = 8;
  p.icode = 0;
  assert.equal(s.ofPacket(p), 'echo-request');
  p.proto = 58;
  p.itype = 135;
  assert.equal(s.ofPacket(p), 'neighbor-solicit');
});

test('speed: 10M serviceOf lookups (printed, not asserted)', () => {
  const s = loadServices();
  // A mix like real traffic: named server ports against ephemeral ports, both orders, some fragments.
  const ports = new Int32Array(1024);
  for (let i = 0; i < ports.length; i++) ports[i] = i % 16 === 0 ? -1 : i % 2 === 0 ? [22, 53, 80, 443, 3306, 8080, 123, 25][i % 8]! : 32768 + ((i * 7919) % 28000);
  const protos = [TCP, UDP, TCP, TCP];
  const n = 10_000_000;
  let named = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const a = ports[i & 1023]!;
    const b = ports[(i * 31 + 7) & 1023]!;
    if (s.serviceOf(protos[i & 3]!, a, b) !== undefined) named++;
  }
  const ns = Number(process.hrtime.bigint() - start);
  process.stderr.write(`services: ${n.toLocaleString('en')} serviceOf lookups in ${(ns / 1e6).toFixed(0)} ms, ${(ns / n).toFixed(1)} ns each, ${((n / ns) * 1e3).toFixed(0)} M/s (${named} named)\n`);
  assert.ok(named > 0);
});
