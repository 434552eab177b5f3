/**
 * trk-mail's messages, transports and spool against a real SMTP server on
 * loopback (smtp-server), real TLS (a certificate made with openssl), real
 * child processes for the sendmail transport, and a real spool directory.
 */
process.env['TZ'] = 'UTC';

import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import { composeMail, subjectFor } from '../src/mail/compose.js';
import { Deliverer, Spool, defaultSpoolDir } from '../src/mail/spool.js';
import { parseSmtpUrl, sendmailTransport, smtpTransport } from '../src/mail/transport.js';
import type { MailPlan, OutgoingMail } from '../src/mail/types.js';
import { reportText } from '../src/threshold/report.js';
import type { BandwidthReport } from '../src/threshold/types.js';

const run = promisify(execFile);

// ---------------------------------------------------------------------------
// An SMTP server that records what it accepted, and can misbehave on cue
// ---------------------------------------------------------------------------

interface Received {
  messageId: string;
  from: string;
  to: string[];
  raw: string;
  secure: boolean;
  user: string | undefined;
}

interface Misbehaviour {
  /** Reply to the greeting with this error (e.g. 421) for the next N connections. */
  refuseConnections?: { count: number; code: number };
  /** Reply to MAIL FROM with this error for the next N messages. */
  refuseMail?: { count: number; code: number };
  /** Close the socket at MAIL FROM for the next N messages. */
  dropAtMail?: number;
  /** Read the whole DATA, then close the socket instead of replying, for the next N messages. */
  dropInData?: number;
  /** Recipients refused for good with 550. */
  rejectRecipients?: string[];
}

interface TestServer {
  port: number;
  received: Received[];
  misbehave: Misbehaviour;
  connections: number;
  close(): Promise<void>;
}

function headerOf(raw: string, name: string): string | undefined {
  const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
  const unfolded = head.replace(/\r\n[ \t]+/g, ' ');
  const re = new RegExp(`^${name}:[ \\t]*(.*)$`, 'im');
  return re.exec(unfolded)?.[1];
}

async function startServer(o: Partial<SMTPServerOptions> & { port?: number } = {}): Promise<TestServer> {
  const state: TestServer = { port: 0, received: [], misbehave: {}, connections: 0, close: async () => {} };
  const socketOf = (session: SMTPServerSession): { destroy(): void } | undefined => {
    // smtp-server keeps its connections in a Set; the socket is private, but this is a test that must cut it
    for (const c of (server as unknown as { connections: Set<{ id: string; _socket: { destroy(): void } }> }).connections) {
      if (c.id === session.id) return c._socket;
    }
    return undefined;
  };
  const server: SMTPServer = new SMTPServer({
    logger: false,
    disabledCommands: o.key ? [] : ['STARTTLS'],
    authOptional: true,
    ...o,
    onConnect(_session, callback) {
      state.connections++;
      const refuse = state.misbehave.refuseConnections;
      if (refuse && refuse.count > 0) {
        refuse.count--;
        const err = Object.assign(new Error('Service not available, try later'), { responseCode: refuse.code });
        callback(err);
        return;
      }
      callback();
    },
    onMailFrom(_address, session, callback) {
      const refuse = state.misbehave.refuseMail;
      if (refuse && refuse.count > 0) {
        refuse.count--;
        callback(Object.assign(new Error('Try again later'), { responseCode: refuse.code }));
        return;
      }
      if ((state.misbehave.dropAtMail ?? 0) > 0) {
        state.misbehave.dropAtMail!--;
        socketOf(session)?.destroy();
        return;
      }
      callback();
    },
    onRcptTo(address, _session, callback) {
      if (state.misbehave.rejectRecipients?.includes(address.address)) {
        callback(Object.assign(new Error(`No such user: ${address.address}`), { responseCode: 550 }));
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if ((state.misbehave.dropInData ?? 0) > 0) {
          state.misbehave.dropInData!--;
          socketOf(session)?.destroy();
          return;
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        state.received.push({
          messageId: headerOf(raw, 'Message-ID') ?? '',
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          secure: session.secure,
          user: session.user as string | undefined,
        });
        callback();
      });
    },
  });
  server.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, '127.0.0.1', () => resolve());
  });
  state.port = (server.server.address() as { port: number }).port;
  state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}

// ---------------------------------------------------------------------------
// A small MIME reader, enough for what MailComposer writes
// ---------------------------------------------------------------------------

function decodeQuotedPrintable(body: string): string {
  const soft = body.replace(/=\r\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < soft.length; i++) {
    const m = /^=([0-9A-F]{2})/.exec(soft.slice(i, i + 3));
    if (m) {
      bytes.push(parseInt(m[1]!, 16));
      i += 2;
    } else bytes.push(...Buffer.from(soft[i]!, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

function decodePart(part: string): { type: string; body: string } {
  const split = part.indexOf('\r\n\r\n');
  const head = part.slice(0, split + 2);
  const body = part.slice(split + 4);
  const type = (headerOf(head + '\r\n', 'Content-Type') ?? '').split(';')[0]!.trim();
  const encoding = (headerOf(head + '\r\n', 'Content-Transfer-Encoding') ?? '7bit').toLowerCase();
  const decoded =
    encoding === 'quoted-printable' ? decodeQuotedPrintable(body) : encoding === 'base64' ? Buffer.from(body, 'base64').toString('utf8') : body;
  // MailComposer writes CRLF; the texts are compared with the \n they were made with
  return { type, body: decoded.replace(/\r\n/g, '\n') };
}

/** The text and HTML alternatives of a multipart/alternative message. */
function alternatives(raw: string): { text: string; html: string } {
  const contentType = headerOf(raw, 'Content-Type') ?? '';
  assert.match(contentType, /^multipart\/alternative;/);
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)![1]!;
  const body = raw.slice(raw.indexOf('\r\n\r\n') + 4);
  const pieces = body.split(`--${boundary}`);
  // preamble, the parts, then "--" and the epilogue
  const parts = pieces.slice(1, -1).map((p) => decodePart(p.replace(/^\r\n/, '').replace(/\r\n$/, '')));
  assert.deepEqual(
    parts.map((p) => p.type),
    ['text/plain', 'text/html'],
  );
  return { text: parts[0]!.body, html: parts[1]!.body };
}

/** No scripts, no external resources: nothing a mail client would have to fetch. */
function assertSelfContained(html: string): void {
  assert.doesNotMatch(html, /<script/i);
  assert.doesNotMatch(html, /<link/i);
  assert.doesNotMatch(html, /<img/i);
  assert.doesNotMatch(html, /\b(src|href)\s*=/i);
  assert.doesNotMatch(html, /url\(/i);
  assert.doesNotMatch(html, /@import/i);
}

// ---------------------------------------------------------------------------
// Plans
// ---------------------------------------------------------------------------

const T0 = Date.UTC(2026, 10, 24, 14, 0, 0) / 1000;

const REPORT: BandwidthReport = {
  ts: T0 + 600,
  net: '10.10.1.0/24',
  address: '10.10.1.0',
  name: 'office',
  threshold: 7,
  kBps: 12.5,
  exceeded: 360,
  since: T0 + 240,
  top: 0,
  conns: [
    { a: '10.10.1.20', aport: 443, b: '93.184.216.34', bport: 51000, proto: 'tcp', bytes: 900_000, service: 'https' },
    { a: '10.10.1.21', aport: 53, b: '192.0.2.53', bport: 40000, proto: 'udp', bytes: 1200, service: 'domain' },
  ],
  totalConns: 2,
  totalBytes: 901_200,
  droppedConns: 0,
  droppedBytes: 0,
};

function digestPlan(held = 0): MailPlan {
  return {
    type: 'digest',
    start: T0,
    end: T0 + 300,
    alerts: 5,
    heldMails: held,
    heldAlerts: held * 3,
    entries: [
      { family: 'HOST', kind: 'silent', details: [['addr', '10.10.1.5'], ['seconds', '300']], count: 1, first: T0 + 10, last: T0 + 10 },
      {
        family: 'TCP',
        kind: 'synflood',
        details: [['dst', '10.10.1.20'], ['rate', '120']],
        sentence: '10.10.1.20 receives 120 SYNs/s that do not complete',
        count: 3,
        first: T0 + 20,
        last: T0 + 200,
      },
      { family: 'TCP', kind: 'synflood', details: [['dst', '10.10.1.21'], ['rate', '80']], count: 1, first: T0 + 30, last: T0 + 30 },
    ],
  };
}

let serial = 0;
function plainMail(to = ['ops@example.net']): Promise<OutgoingMail> {
  serial++;
  return composeMail(
    {
      type: 'digest',
      start: T0,
      end: T0 + 60,
      alerts: 1,
      heldMails: 0,
      heldAlerts: 0,
      entries: [{ family: 'HOST', kind: 'silent', details: [['addr', `10.0.0.${serial}`]], count: 1, first: T0, last: T0 }],
    },
    { from: 'trk@gw.example.net', to, host: 'gw', now: T0 + 60 },
  );
}

const FAST = { minBackoffMs: 40, maxBackoffMs: 300 };

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'trk-mail-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

async function spoolDir(name: string): Promise<string> {
  return join(work, name);
}

function ids(server: TestServer): string[] {
  return server.received.map((r) => r.messageId);
}

// ---------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------

describe('composed messages as a server receives them', () => {
  test('a report: headers, the text part is reportText exactly with the footer, the HTML is self-contained', async () => {
    const server = await startServer();
    try {
      const footer = 'Network operations\r\nroom 12';
      const mail = await composeMail(
        { type: 'report', report: REPORT, heldMails: 0, heldAlerts: 0 },
        { from: 'IP bandwidth watchdog <trk@gw.example.net>', to: ['ops@example.net', 'noc@example.net'], host: 'gw', footer, now: T0 + 601 },
      );
      const t = smtpTransport(`smtp://127.0.0.1:${server.port}`, { insecure: false });
      assert.deepEqual(await t.send(mail), { ok: true });
      t.close();
      assert.equal(server.received.length, 1);
      const got = server.received[0]!;
      assert.equal(got.from, 'trk@gw.example.net');
      assert.deepEqual(got.to, ['ops@example.net', 'noc@example.net']);
      assert.equal(headerOf(got.raw, 'From'), 'IP bandwidth watchdog <trk@gw.example.net>');
      assert.equal(headerOf(got.raw, 'To'), 'ops@example.net, noc@example.net');
      assert.equal(headerOf(got.raw, 'Subject'), '[trk gw] Bandwidth report for 10.10.1.0/24 <office>');
      assert.equal(headerOf(got.raw, 'Date'), 'Tue, 24 Nov 2026 14:10:01 +0000');
      assert.equal(got.messageId, `<${mail.id}@gw>`);
      assert.equal(headerOf(got.raw, 'MIME-Version'), '1.0');
      assert.match(got.raw, /^[^]*\r\n\r\n/);
      assert.doesNotMatch(got.raw, /[^\r]\n/, 'every line ends in CRLF');
      const { text, html } = alternatives(got.raw);
      assert.equal(text, reportText(REPORT) + 'Network operations\nroom 12\n');
      assertSelfContained(html);
      assert.match(html, /Bandwidth report for 10\.10\.1\.0\/24 &#60;office&#62;/);
      assert.match(html, />93\.184\.216\.34</);
      assert.match(html, />878\.91</);
      // the bar chart: the heaviest connection is the full bar, the other in proportion (1200/900000 → the 1% floor)
      assert.match(html, /width:100%/);
      assert.match(html, /width:1%/);
      assert.match(html, /<pre[^>]*>Network operations\nroom 12\n<\/pre>/);
    } finally {
      await server.close();
    }
  });

  test('a digest: grouped by type and kind with counts and times, the held-back line, an HTML table', async () => {
    const server = await startServer();
    try {
      const mail = await composeMail(digestPlan(2), { from: 'trk@gw.example.net', to: ['ops@example.net'], host: 'gw', now: T0 + 300 });
      const t = smtpTransport(`smtp://127.0.0.1:${server.port}`, { insecure: false });
      assert.deepEqual(await t.send(mail), { ok: true });
      t.close();
      const got = server.received[0]!;
      assert.equal(headerOf(got.raw, 'Subject'), '[trk gw] TCP synflood dst=10.10.1.20 and 4 more alerts');
      assert.equal(headerOf(got.raw, 'X-Trk-Held'), '2 mails, 6 alerts');
      const { text, html } = alternatives(got.raw);
      assert.equal(
        text,
        [
          'The hourly mail cap held back 2 mails with 6 alerts; they are merged into this one.',
          '',
          '5 alerts on gw between 2026-11-24 14:00:00 and 2026-11-24 14:05:00.',
          '',
          'HOST silent: 1 alert, first 2026-11-24 14:00:10, last 2026-11-24 14:00:10',
          '  addr=10.10.1.5 seconds=300',
          '    1 time, first 2026-11-24 14:00:10, last 2026-11-24 14:00:10',
          '',
          'TCP synflood: 4 alerts, first 2026-11-24 14:00:20, last 2026-11-24 14:03:20',
          '  dst=10.10.1.20 rate=120',
          '    3 times, first 2026-11-24 14:00:20, last 2026-11-24 14:03:20',
          '    10.10.1.20 receives 120 SYNs/s that do not complete',
          '  dst=10.10.1.21 rate=80',
          '    1 time, first 2026-11-24 14:00:30, last 2026-11-24 14:00:30',
          '',
        ].join('\n'),
      );
      assertSelfContained(html);
      assert.match(html, /held back 2 mails with 6 alerts/);
      assert.match(html, /<table/);
      assert.match(html, />TCP synflood<\/td><td[^>]*>4<\/td>/);
      assert.match(html, />dst=10\.10\.1\.20 rate=120<br>/);
    } finally {
      await server.close();
    }
  });

  test('subjects: template fields, one line whatever the data, RFC 2047 for non-ASCII', async () => {
    const plan = digestPlan();
    assert.equal(subjectFor(plan, '{host}: {count} {type} {kind} on {net} {other}', 'gw'), 'gw: 5 TCP synflood on 10.10.1.20 {other}');
    assert.equal(
      subjectFor({ type: 'report', report: REPORT, heldMails: 0, heldAlerts: 0 }, '[{host}] {type} {kind} {net} ({count})', 'gw'),
      '[gw] BANDWIDTH report 10.10.1.0/24 (1)',
    );
    const evil: MailPlan = {
      type: 'digest',
      start: T0,
      end: T0 + 1,
      alerts: 1,
      heldMails: 0,
      heldAlerts: 0,
      entries: [{ family: 'HOST', kind: 'silent', details: [], sentence: 'x\r\nBcc: victim@example.org', count: 1, first: T0, last: T0 }],
    };
    assert.equal(subjectFor(evil, undefined, 'gw'), '[trk gw] HOST silent: x Bcc: victim@example.org');
    const mail = await composeMail(evil, { from: 'a@b.c', to: ['d@e.f'], subject: 'Größe {kind}', host: 'gw', now: T0 });
    const raw = mail.raw.toString('utf8');
    assert.equal(headerOf(raw, 'Bcc'), undefined);
    assert.match(headerOf(raw, 'Subject')!, /^=\?UTF-8\?[QB]\?.*\?=$/);
  });
});

// ---------------------------------------------------------------------------
// TLS and AUTH
// ---------------------------------------------------------------------------

describe('STARTTLS and AUTH', () => {
  let key: Buffer;
  let cert: Buffer;
  let certFile: string;
  before(async () => {
    const keyFile = join(work, 'key.pem');
    certFile = join(work, 'cert.pem');
    await run('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile,
    ]);
    key = await readFile(keyFile);
    cert = await readFile(certFile);
  });

  const tlsServer = (o: Partial<SMTPServerOptions> = {}): Promise<TestServer> => startServer({ key, cert, ...o });

  test('a self-signed certificate is refused unless insecure, and the message stays for a retry', async () => {
    const server = await tlsServer();
    try {
      const mail = await plainMail();
      const strict = smtpTransport(`smtp://127.0.0.1:${server.port}`, { insecure: false });
      const refused = await strict.send(mail);
      strict.close();
      assert.equal(refused.ok, false);
      assert.equal(!refused.ok && refused.permanent, false);
      assert.match(!refused.ok ? refused.reason : '', /^certificate not trusted \(.*self-signed.*\); trust its CA with NODE_EXTRA_CA_CERTS=FILE, or use --smtp-insecure$/);
      assert.equal(server.received.length, 0);
      const lax = smtpTransport(`smtp://127.0.0.1:${server.port}`, { insecure: true });
      assert.deepEqual(await lax.send(mail), { ok: true });
      lax.close();
      assert.equal(server.received.length, 1);
      assert.equal(server.received[0]!.secure, true, 'upgraded with STARTTLS');
    } finally {
      await server.close();
    }
  });

  test('a private CA is trusted through NODE_EXTRA_CA_CERTS, with certificate checks on', async () => {
    const server = await tlsServer();
    try {
      const transportUrl = pathToFileURL(join(import.meta.dirname, '..', 'src', 'mail', 'transport.js')).href;
      const script =
        `const { smtpTransport } = await import(${JSON.stringify(transportUrl)});` +
        `const t = smtpTransport(process.env.URL, { insecure: false });` +
        `const r = await t.send({ id: 'ca', from: 'a@b.c', to: ['d@e.f'], raw: Buffer.from('Message-ID: <ca@test>\\r\\nSubject: ca\\r\\n\\r\\nhello\\r\\n') });` +
        `t.close(); process.stdout.write(JSON.stringify(r));`;
      const env = { ...process.env, URL: `smtp://127.0.0.1:${server.port}` };
      const trusted = await run(process.execPath, ['--input-type=module', '-e', script], { env: { ...env, NODE_EXTRA_CA_CERTS: certFile } });
      assert.deepEqual(JSON.parse(trusted.stdout), { ok: true });
      assert.deepEqual(ids(server), ['<ca@test>']);
      assert.equal(server.received[0]!.secure, true);
      const untrusted = await run(process.execPath, ['--input-type=module', '-e', script], { env });
      assert.equal(JSON.parse(untrusted.stdout).ok, false);
      assert.equal(server.received.length, 1);
    } finally {
      await server.close();
    }
  });

  test('SMTP URLs: default ports, user and password, describe without the password', () => {
    assert.deepEqual(parseSmtpUrl('smtp://mail.example.net'), { secure: false, host: 'mail.example.net', port: 587 });
    assert.deepEqual(parseSmtpUrl('smtps://al%40erts:p%3Ass@mail.example.net'), { secure: true, host: 'mail.example.net', port: 465, user: 'al@erts', pass: 'p:ss' });
    assert.deepEqual(parseSmtpUrl('smtp://[2001:db8::25]:2525'), { secure: false, host: '2001:db8::25', port: 2525 });
    assert.equal(smtpTransport('smtps://al%40erts:secret@mail.example.net', { insecure: false }).describe, 'smtps://al%40erts@mail.example.net:465');
    assert.throws(() => parseSmtpUrl('http://mail.example.net'), /^Error: 'http:' is not smtp: or smtps:$/);
    assert.throws(() => parseSmtpUrl('mail.example.net'), /is not an SMTP URL/);
  });

  for (const method of ['PLAIN', 'LOGIN']) {
    test(`AUTH ${method} with the password from the option; a wrong password is permanent`, async () => {
      const server = await tlsServer({
        authMethods: [method],
        authOptional: false,
        onAuth(auth, _session, callback) {
          if (auth.method === method && auth.username === 'alerts' && auth.password === 's3cret pass') callback(null, { user: auth.username });
          else callback(Object.assign(new Error('Authentication credentials invalid'), { responseCode: 535 }));
        },
      });
      try {
        const good = smtpTransport(`smtp://alerts@127.0.0.1:${server.port}`, { insecure: true, password: 's3cret pass' });
        assert.equal(good.describe, `smtp://alerts@127.0.0.1:${server.port}`);
        assert.deepEqual(await good.send(await plainMail()), { ok: true });
        good.close();
        assert.equal(server.received[0]!.user, 'alerts');
        // the URL's own password, percent-encoded, wins over the option
        const inUrl = smtpTransport(`smtp://alerts:s3cret%20pass@127.0.0.1:${server.port}`, { insecure: true, password: 'wrong' });
        assert.equal(inUrl.describe, `smtp://alerts@127.0.0.1:${server.port}`);
        assert.deepEqual(await inUrl.send(await plainMail()), { ok: true });
        inUrl.close();
        const bad = smtpTransport(`smtp://alerts@127.0.0.1:${server.port}`, { insecure: true, password: 'nope' });
        const result = await bad.send(await plainMail());
        bad.close();
        assert.deepEqual(result, { ok: false, permanent: true, reason: '535 Authentication credentials invalid' });
        assert.equal(server.received.length, 2);
      } finally {
        await server.close();
      }
    });
  }
});

// ---------------------------------------------------------------------------
// Outages and the spool
// ---------------------------------------------------------------------------

/** Put mails into a spool and deliver them with a Deliverer; returns what it warned and what was left. */
async function deliverAll(server: TestServer, dir: string, mails: OutgoingMail[], timeoutMs = 8000): Promise<{ warnings: string[]; left: number }> {
  const spool = new Spool(dir);
  const warnings: string[] = [];
  const transport = smtpTransport(`smtp://127.0.0.1:${server.port}`, { insecure: false });
  const deliverer = new Deliverer(spool, transport, (m) => warnings.push(m), FAST);
  for (const m of mails) await spool.put(m);
  deliverer.kick();
  const left = await deliverer.drain(timeoutMs);
  deliverer.close();
  transport.close();
  return { warnings, left };
}

describe('outages: every message delivered exactly once, in order', () => {
  const cases: [string, Misbehaviour, RegExp][] = [
    ['421 at the greeting', { refuseConnections: { count: 3, code: 421 } }, /: 421 Service not available, try later; 3 messages spooled in /],
    ['451 at MAIL FROM', { refuseMail: { count: 3, code: 451 } }, /: 451 Try again later; 3 messages spooled in /],
    ['the connection dropped at MAIL FROM', { dropAtMail: 2 }, /; 3 messages spooled in .*, retrying$/],
    ['the connection dropped during DATA, before the final reply', { dropInData: 2 }, /; 3 messages spooled in .*, retrying$/],
  ];
  for (const [name, misbehaviour, warning] of cases) {
    test(name, async () => {
      const server = await startServer();
      try {
        server.misbehave = misbehaviour;
        const mails = [await plainMail(), await plainMail(), await plainMail()];
        const dir = await spoolDir(`outage-${name.replace(/\W+/g, '-')}`);
        const { warnings, left } = await deliverAll(server, dir, mails);
        assert.equal(left, 0);
        assert.deepEqual(ids(server), mails.map((m) => `<${m.id}@gw>`));
        assert.equal(warnings.length, 2, warnings.join('\n'));
        assert.match(warnings[0]!, new RegExp(`^smtp://127\\.0\\.0\\.1:${server.port}: `));
        assert.match(warnings[0]!, warning);
        assert.equal(warnings[1], `smtp://127.0.0.1:${server.port}: delivering again; 2 messages still spooled`);
        assert.deepEqual(await readdir(dir), []);
      } finally {
        await server.close();
      }
    });
  }

  test('the server down for a while, then listening again on the same port', async () => {
    const first = await startServer();
    const port = first.port;
    await first.close();
    const mails = [await plainMail(), await plainMail(), await plainMail()];
    const spool = new Spool(await spoolDir('down'));
    const warnings: string[] = [];
    const transport = smtpTransport(`smtp://127.0.0.1:${port}`, { insecure: false });
    const deliverer = new Deliverer(spool, transport, (m) => warnings.push(m), FAST);
    for (const m of mails) await spool.put(m);
    deliverer.kick();
    // a kick while the oldest waits for its retry changes nothing: the order is kept
    deliverer.kick();
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(warnings, [`smtp://127.0.0.1:${port}: connection refused; 3 messages spooled in ${spool.dir}, retrying`]);
    const again = await startServer({ port });
    try {
      assert.equal(await deliverer.drain(5000), 0);
      assert.deepEqual(ids(again), mails.map((m) => `<${m.id}@gw>`));
      assert.equal(warnings[1], `smtp://127.0.0.1:${port}: delivering again; 2 messages still spooled`);
    } finally {
      deliverer.close();
      transport.close();
      await again.close();
    }
  });

  test('a 550 moves that message to failed/ with the reason; the next ones are still delivered', async () => {
    const server = await startServer();
    try {
      server.misbehave = { rejectRecipients: ['nobody@example.net'] };
      const mails = [await plainMail(), await plainMail(['nobody@example.net']), await plainMail()];
      const dir = await spoolDir('refused');
      const { warnings, left } = await deliverAll(server, dir, mails);
      assert.equal(left, 0);
      assert.deepEqual(ids(server), [`<${mails[0]!.id}@gw>`, `<${mails[2]!.id}@gw>`]);
      const failed = join(dir, 'failed');
      assert.deepEqual(warnings, [
        `smtp://127.0.0.1:${server.port}: message ${mails[1]!.id} refused: 550 No such user: nobody@example.net; kept in ${failed}`,
      ]);
      assert.deepEqual((await readdir(failed)).sort(), [`${mails[1]!.id}.mail`, `${mails[1]!.id}.reason`]);
      assert.match(await readFile(join(failed, `${mails[1]!.id}.reason`), 'utf8'), /^\d{4}-\d\d-\d\dT[\d:.]+Z 550 No such user: nobody@example\.net\n$/);
      // the failed message is kept whole, envelope line then the message as composed
      const kept = await readFile(join(failed, `${mails[1]!.id}.mail`));
      assert.equal(kept.subarray(kept.indexOf(10) + 1).toString('utf8'), mails[1]!.raw.toString('utf8'));
      assert.deepEqual((await readdir(dir)).sort(), ['failed']);
    } finally {
      await server.close();
    }
  });

  test('the spool survives a restart: what one Deliverer could not send, the next one on the directory sends', async () => {
    const down = await startServer();
    const port = down.port;
    await down.close();
    const dir = await spoolDir('restart');
    const mails = [await plainMail(), await plainMail()];
    const first = await deliverAll({ ...down, port }, dir, mails, 300);
    assert.equal(first.left, 2);
    assert.equal(first.warnings[0], `smtp://127.0.0.1:${port}: connection refused; 2 messages spooled in ${dir}, retrying`);
    const listed = await new Spool(dir).list();
    assert.deepEqual(
      listed.map((m) => [m.id, m.from, m.to]),
      mails.map((m) => [m.id, 'trk@gw.example.net', ['ops@example.net']]),
    );
    const server = await startServer();
    try {
      const second = await deliverAll(server, dir, [], 5000);
      assert.equal(second.left, 0);
      assert.deepEqual(second.warnings, []);
      assert.deepEqual(ids(server), mails.map((m) => `<${m.id}@gw>`));
      assert.deepEqual(server.received.map((r) => r.to), [['ops@example.net'], ['ops@example.net']]);
    } finally {
      await server.close();
    }
  });

  test('spool files are written whole and private; the default directory follows XDG', async () => {
    const dir = await spoolDir('files');
    const spool = new Spool(dir);
    const mail = await plainMail(['a@example.net', 'b@example.net']);
    await spool.put(mail);
    assert.deepEqual(await readdir(dir), [`${mail.id}.mail`]);
    const { stat } = await import('node:fs/promises');
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    assert.equal((await stat(join(dir, `${mail.id}.mail`))).mode & 0o777, 0o600);
    assert.deepEqual(await spool.read(mail.id), { id: mail.id, from: mail.from, to: ['a@example.net', 'b@example.net'], raw: mail.raw });
    await spool.remove(mail.id);
    assert.deepEqual(await spool.list(), []);
    const saved = process.env['XDG_STATE_HOME'];
    try {
      process.env['XDG_STATE_HOME'] = '/srv/state';
      const expected = process.getuid?.() === 0 ? '/var/spool/trk-mail' : '/srv/state/trk/mail-spool';
      assert.equal(defaultSpoolDir(), expected);
    } finally {
      if (saved === undefined) delete process.env['XDG_STATE_HOME'];
      else process.env['XDG_STATE_HOME'] = saved;
    }
  });
});

// ---------------------------------------------------------------------------
// sendmail
// ---------------------------------------------------------------------------

describe('sendmailTransport runs a command without a shell', () => {
  async function script(name: string, body: string): Promise<string> {
    const path = join(work, name);
    await writeFile(path, `#!/bin/sh\n${body}\n`);
    await chmod(path, 0o755);
    return path;
  }

  test('argv split as words, the raw message on stdin, exit 0 delivered', async () => {
    const out = join(work, 'sendmail-out');
    const path = await script('record-sendmail', `printf '%s\\n' "$@" > ${out}.argv; cat > ${out}.stdin`);
    const t = sendmailTransport(`${path} -t -oi -F "trk alerts" '$HOME;x'`);
    assert.equal(t.describe, `${path} -t -oi -F trk alerts $HOME;x`);
    const mail = await plainMail();
    assert.deepEqual(await t.send(mail), { ok: true });
    assert.equal(await readFile(`${out}.argv`, 'utf8'), '-t\n-oi\n-F\ntrk alerts\n$HOME;x\n');
    assert.deepEqual(await readFile(`${out}.stdin`), mail.raw);
  });

  test('exit 75 is temporary, exit 1 permanent with the first stderr line, a missing program permanent with the fix', async () => {
    const tempfail = await script('tempfail-sendmail', 'cat >/dev/null; echo "queue busy" >&2; exit 75');
    assert.deepEqual(await sendmailTransport(tempfail).send(await plainMail()), {
      ok: false,
      permanent: false,
      reason: `${tempfail} exit 75 (try again later): queue busy`,
    });
    const fail = await script('fail-sendmail', 'cat >/dev/null; printf "no such user here\\nsecond line\\n" >&2; exit 1');
    assert.deepEqual(await sendmailTransport(fail).send(await plainMail()), {
      ok: false,
      permanent: true,
      reason: `${fail} exit 1: no such user here`,
    });
    const missing = join(work, 'no-such-sendmail');
    assert.deepEqual(await sendmailTransport(`${missing} -t -oi`).send(await plainMail()), {
      ok: false,
      permanent: true,
      reason: `${missing} not found: install an MTA (e.g. apt-get install msmtp-mta or postfix), or send through a relay with --smtp`,
    });
  });
});
