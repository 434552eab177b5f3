/**
 * trk-collect --web: trk-report's page, live, for each sensor and for all
 * of them together. Every committed batch's lines (the ones written to
 * standard output, before the sensor tag) feed a ReportModel per sensor and
 * one for all; a GET draws the page from the model with trk-report's own
 * view and page (src/report/), and Server-Sent Events tell open pages that
 * their model changed, so they fetch the page again and swap its parts.
 *
 *   GET /, /web             redirect to web/
 *   GET /web/               index: a link to each sensor's page and to all
 *   GET /web/all            the page of every sensor together
 *   GET /web/SENSOR         the page of one sensor (404 when none posted)
 *   GET /web/SCOPE/events   text/event-stream: "event: update" when the
 *                           scope's model changed, at most once a second;
 *                           a ": ping" comment every 15 s
 *
 * Memory is bounded: at most MAX_SENSORS models besides the one for all
 * (further sensors count in all only), each with at most MAX_HOSTS
 * addresses (more are summed in the others bar), MAX_EVENTS alerts, STAT
 * lines and reports each (the oldest go), MAX_BUCKETS_LIVE time buckets
 * (coarser past it); at most MAX_CLIENTS event streams at once.
 * pkt records are not drawn (sensors send tally records: trk-tally runs
 * there); they are counted as unused like any other line.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { timingSafeEqual, createHash } from 'node:crypto';
import { ALL_TIME, emptyModel, setResolution, type ReportModel } from '../report/model.js';
import { reportPage } from '../report/page.js';
import { ReportLineReader } from '../report/read-lines.js';
import { esc } from '../report/svg.js';
import { makeView } from '../report/view.js';
import { SENSOR_NAME } from '../upload/protocol.js';

export const WEB_LIMITS = {
  MAX_SENSORS: 64,
  MAX_HOSTS: 10_000,
  MAX_EVENTS: 10_000,
  MAX_BUCKETS_LIVE: 10_000,
  MAX_CLIENTS: 100,
  /** At most one update event per client per this many ms. */
  MIN_INTERVAL: 1000,
  PING: 15_000,
};

export interface WebOptions {
  /** The password of the web pages (HTTP Basic, any user name; or Authorization: Bearer), or undefined: open to whoever reaches the port. */
  token?: string;
  /** The page's bars: top N (trk-report --top). */
  top?: number;
  warn(message: string): void;
  now?: () => number;
}

class Scope {
  readonly model: ReportModel = emptyModel();
  readonly reader: ReportLineReader;
  version = 0;
  readonly clients = new Set<Client>();
  constructor(readonly name: string) {
    this.reader = new ReportLineReader({ model: this.model, range: ALL_TIME, local: undefined, subject: undefined, maxHosts: WEB_LIMITS.MAX_HOSTS });
  }

  add(body: Buffer): void {
    const before = this.reader.tallies + this.reader.events;
    splitLines(body, (buf, start, end) => this.reader.line(buf, start, end));
    if (this.reader.tallies + this.reader.events === before) return;
    const m = this.model;
    for (const list of [m.alerts, m.stats, m.reports] as unknown[][]) if (list.length > WEB_LIMITS.MAX_EVENTS) list.splice(0, list.length - WEB_LIMITS.MAX_EVENTS);
    while (m.buckets.size > WEB_LIMITS.MAX_BUCKETS_LIVE) setResolution(m, m.resolution * 10);
    this.version++;
    for (const c of this.clients) c.changed();
  }

  /** The page last drawn, and the version of the model it was drawn from: open pages all fetch again at once after a change. */
  private drawn: { version: number; html: string } | undefined;

  page(title: string, events: string, top: number): string {
    if (this.drawn?.version === this.version) return this.drawn.html;
    this.reader.finish();
    const view = makeView(this.model, { title, top, sort: 'total', step: undefined, rateIn: undefined, rateOut: undefined, currency: '', subject: undefined, billingMax: 1000 });
    this.drawn = { version: this.version, html: reportPage(view, { live: { events } }) };
    return this.drawn.html;
  }
}

class Client {
  private last = 0;
  private timer: NodeJS.Timeout | undefined;
  constructor(
    private readonly res: ServerResponse,
    private readonly now: () => number,
  ) {}

  changed(): void {
    if (this.timer) return;
    const wait = this.last + WEB_LIMITS.MIN_INTERVAL - this.now();
    if (wait <= 0) return this.send();
    this.timer = setTimeout(() => this.send(), wait);
  }

  private send(): void {
    this.timer = undefined;
    this.last = this.now();
    this.res.write('event: update\ndata: changed\n\n');
  }

  ping(): void {
    this.res.write(': ping\n\n');
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.res.end();
  }
}

export class WebPages {
  private readonly all = new Scope('all');
  private readonly sensors = new Map<string, Scope>();
  private readonly clients = new Map<Client, Scope>();
  private readonly pinger: NodeJS.Timeout;
  private readonly now: () => number;
  private warnedFull = false;

  constructor(private readonly o: WebOptions) {
    this.now = o.now ?? Date.now;
    this.pinger = setInterval(() => {
      for (const c of this.clients.keys()) c.ping();
    }, WEB_LIMITS.PING);
    this.pinger.unref();
  }

  /** A committed batch's lines, as the sensor sent them. */
  add(sensor: string, body: Buffer): void {
    let s = this.sensors.get(sensor);
    // a sensor named all has no page of its own: /web/all is every sensor's
    if (!s && sensor !== 'all') {
      if (this.sensors.size >= WEB_LIMITS.MAX_SENSORS) {
        if (!this.warnedFull) this.o.warn(`--web: ${WEB_LIMITS.MAX_SENSORS} sensors have pages; ${sensor} and later ones count in /web/all only`);
        this.warnedFull = true;
      } else this.sensors.set(sensor, (s = new Scope(sensor)));
    }
    s?.add(body);
    this.all.add(body);
  }

  /** The request, when it is one of the web pages' (true: answered here). */
  handle(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    if (path !== '/' && path !== '/web' && !path.startsWith('/web/')) return false;
    if (this.o.token !== undefined && !this.authorized(req)) {
      answer(res, 401, 'the web pages need the --web-token password (HTTP Basic, any user name)\n', { 'WWW-Authenticate': 'Basic realm="trk-collect", charset="UTF-8"' });
      return true;
    }
    // relative links and URLs throughout, so the pages work behind a proxy that serves them under a prefix
    if (path === '/' || path === '/web') {
      answer(res, 302, 'see web/\n', { Location: 'web/' });
      return true;
    }
    if (path === '/web/') {
      answer(res, 200, this.index(), { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      return true;
    }
    const m = /^\/web\/([^/]+)(\/events)?$/.exec(path);
    let name = '';
    try {
      name = m ? decodeURIComponent(m[1]!) : '';
    } catch {
      // a bad %-escape: no such page
    }
    const scope = name === 'all' ? this.all : SENSOR_NAME.test(name) ? this.sensors.get(name) : undefined;
    if (!m || !scope) {
      answer(res, 404, `no such page: ${m ? `no sensor ${name} has posted` : 'see /web/'}\n`);
      return true;
    }
    if (m[2]) this.events(req, res, scope);
    else answer(res, 200, scope.page(name === 'all' ? 'trk-collect: all sensors' : `trk-collect: ${name}`, `${name}/events`, this.o.top ?? 50), { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    return true;
  }

  private index(): string {
    const names = [...this.sensors.keys()].sort();
    const items = [`<li><a href="all">all sensors</a></li>`, ...names.map((n) => `<li><a href="${encodeURIComponent(n)}">${esc(n)}</a></li>`)];
    return [
      '<!DOCTYPE html>',
      '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>trk-collect</title><link rel="icon" href="data:,"></head>',
      `<body><h1>trk-collect</h1><p>${names.length === 1 ? '1 sensor has' : `${names.length} sensors have`} posted.</p><ul id="sensors">${items.join('')}</ul></body></html>`,
      '',
    ].join('\n');
  }

  private events(req: IncomingMessage, res: ServerResponse, scope: Scope): void {
    if (this.clients.size >= WEB_LIMITS.MAX_CLIENTS) {
      answer(res, 503, `too many open pages (${WEB_LIMITS.MAX_CLIENTS})\n`, { 'Retry-After': '30' });
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
    res.write('retry: 5000\n\n');
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    req.socket.setTimeout(0);
    const client = new Client(res, this.now);
    this.clients.set(client, scope);
    scope.clients.add(client);
    const gone = (): void => {
      client.close();
      this.clients.delete(client);
      scope.clients.delete(client);
    };
    res.on('close', gone);
    req.on('close', gone);
  }

  /** Open event streams (for tests and metrics). */
  get streams(): number {
    return this.clients.size;
  }

  /** SIGTERM: every event stream is ended. */
  close(): void {
    clearInterval(this.pinger);
    for (const [c, s] of this.clients) {
      c.close();
      s.clients.delete(c);
    }
    this.clients.clear();
  }

  private authorized(req: IncomingMessage): boolean {
    const h = req.headers.authorization ?? '';
    let given: string | undefined;
    const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(h);
    if (basic) {
      const text = Buffer.from(basic[1]!, 'base64').toString('utf8');
      const colon = text.indexOf(':');
      given = colon < 0 ? undefined : text.slice(colon + 1);
    } else {
      const bearer = /^Bearer\s+(\S+)\s*$/i.exec(h);
      given = bearer?.[1];
    }
    if (given === undefined) return false;
    // equal-length digests: the comparison takes the same time whatever the guess
    const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
    return timingSafeEqual(digest(given), digest(this.o.token!));
  }
}

/** Each line of a batch (validated: whole lines, each under the line limit). */
function splitLines(body: Buffer, line: (buf: Buffer, start: number, end: number) => void): void {
  let start = 0;
  while (start < body.length) {
    let end = body.indexOf(0x0a, start);
    if (end < 0) end = body.length;
    if (end > start) line(body, start, end);
    start = end + 1;
  }
}

function answer(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
