/**
 * ipband's subnet report in every form trk-threshold gives it: the text
 * ipband appended to ipband.txt (-o), the mail it piped to sendmail (-M),
 * the HTML page it rewrote every averaging period (-w), and trk's own
 * `report` NDJSON record, from which a reader (trk-mail) prints the text
 * again, plus the one-line sentence of an ALERT under -H.
 *
 * The text, mail and page follow ipband 0.8.1's subnet_report() and
 * proc_aggr() byte for byte, checked against Debian's ipband binary on a
 * loopback interface: the two blanks after an empty SERVICE, the newline
 * ctime(3) leaves inside the page's Date cell. Where trk differs, it says
 * why: IPv6 addresses widen the address columns, connections the detail
 * table had no room for get one line, the page's text is HTML-escaped.
 */
import type { LineOutput } from '../io/output.js';
import type { BandwidthReport, ReportConn } from './types.js';

// ---------------------------------------------------------------------------
// printf and ctime, as ipband's C library wrote them
// ---------------------------------------------------------------------------

/** Digits past the rounding point looked at to tell an exact tie (any double near a tie differs within them). */
const TIE_DIGITS = 40;

/**
 * printf's `%.Nf`. Number.toFixed rounds an exact tie away from zero; glibc's
 * printf rounds it to even, and ties are common here: kbytes are bytes / 1024,
 * so 128 bytes is exactly 0.125 kB, which ipband prints as 0.12, not 0.13.
 */
export function cFixed(x: number, digits: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const rounded = x.toFixed(digits);
  if (Math.abs(x) >= 1e21) return rounded;
  // toFixed is exact to the digits asked for, so a tie shows as 5 then zeros.
  const long = x.toFixed(Math.min(100, digits + TIE_DIGITS));
  const rest = long.slice(long.length - TIE_DIGITS);
  if (rest !== '5'.padEnd(TIE_DIGITS, '0')) return rounded;
  const truncated = long.slice(0, long.length - TIE_DIGITS).replace(/\.$/, '');
  const lastDigit = Number(truncated[truncated.length - 1]);
  return lastDigit % 2 === 0 ? truncated : rounded;
}

/** printf's `%W.Nf`: right-aligned in W columns, never cut. */
function cFixedWidth(x: number, width: number, digits: number): string {
  return cFixed(x, digits).padStart(width);
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function two(n: number): string {
  return String(n).padStart(2, '0');
}

/** ctime(3): `Tue Nov 24 14:30:31 2026\n`, local time (TZ honoured), of whole seconds. */
export function ctime(epochSeconds: number): string {
  const d = new Date(Math.floor(epochSeconds) * 1000);
  const day = String(d.getDate()).padStart(2, ' ');
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${day} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${d.getFullYear()}\n`;
}

// ---------------------------------------------------------------------------
// The text report
// ---------------------------------------------------------------------------

/** ipband's address columns: %-15s, the longest dotted quad. */
const IPV4_COLUMN = 15;
/** ipband's rules are 79 characters with 15-wide address columns. */
const RULE_WIDTH = 79;

/**
 * The report as ipband appended it to ipband.txt: everything subnet_report()
 * wrote after the Subject line (which went only to mail), starting with the
 * blank line before Date.
 *
 * IPv6 addresses do not fit ipband's %-15s columns. Rather than let long
 * addresses push each row's remaining columns out of line, both address
 * columns are padded to the widest address in the report (at least 15, so
 * an IPv4 report is exactly ipband's), and the header and rules widen with
 * them.
 */
export function reportText(r: BandwidthReport): string {
  const lines: string[] = [''];
  lines.push(`Date:   ${ctime(r.ts).slice(0, -1)}`);
  if (r.top > 0) lines.push(`Showing top ${r.top} connections`);
  lines.push(`Network: ${r.address}` + (r.name !== undefined ? ` <${r.name}>` : ''));
  lines.push(`Bandwidth threshold: ${cFixed(r.threshold, 2)} kBps, exceeded for: ${cFixed(r.exceeded / 60, 2)} min`);
  if (r.accumulated !== undefined) {
    const since = ctime(r.watchStart ?? r.since).slice(0, -1);
    lines.push(`Threshold exceeded time since ${since}: ${cFixed(r.accumulated / 60, 2)} min (${cFixedWidth(r.accumulatedPct ?? 0, 4, 2)}%)`);
  }
  let width = IPV4_COLUMN;
  for (const c of r.conns) width = Math.max(width, c.a.length, c.b.length);
  const rule = (ch: string): string => ch.repeat(RULE_WIDTH + 2 * (width - IPV4_COLUMN));
  lines.push(rule('='));
  lines.push(`${'FROM'.padEnd(width)} < PORT>     ${'TO'.padEnd(width)} < PORT>  PROT      KBYTES  SERVICE`);
  lines.push(rule('-'));
  for (const c of r.conns) lines.push(connRow(c, width));
  // ipband's detail table had no bound; trk's has (--max-conns), and a report must not hide what it left out.
  if (r.droppedConns > 0) {
    const what = r.droppedConns === 1 ? 'connection' : 'connections';
    lines.push(`(${r.droppedConns} more ${what}, ${cFixed(r.droppedBytes / 1024, 2)} kbytes, not logged: detail table full)`);
  }
  lines.push(rule('='));
  return lines.join('\n') + '\n';
}

/** `%-15s <%5u> <-> %-15s <%5u> %4s %12.2f  %.11s`: the service is cut to 11 characters, and its two blanks stay when it is empty. */
function connRow(c: ReportConn, width: number): string {
  const port = (p: number): string => String(p).padStart(5);
  return (
    `${c.a.padEnd(width)} <${port(c.aport)}> <-> ${c.b.padEnd(width)} <${port(c.bport)}> ${c.proto.padStart(4)}` +
    ` ${cFixedWidth(c.bytes / 1024, 12, 2)}  ${c.service.slice(0, 11)}`
  );
}

/** One line for an ALERT under -H: the subnet, how long over what, and its heaviest connection. */
export function reportSentence(r: BandwidthReport): string {
  const name = r.name !== undefined ? ` <${r.name}>` : '';
  const top = r.conns[0];
  const heaviest =
    top !== undefined
      ? `; top: ${top.a} <-> ${top.b} ${top.proto} ${cFixed(top.bytes / 1024, 2)} kB`
      : '; no connections logged';
  return `${r.net}${name} over ${cFixed(r.threshold, 2)} kB/s for ${cFixed(r.exceeded / 60, 2)} min (${cFixed(r.kBps, 2)} kB/s now)${heaviest}`;
}

// ---------------------------------------------------------------------------
// Mail
// ---------------------------------------------------------------------------

/**
 * The sender Debian's ipband writes (its package mends upstream's
 * `IP bandwdth watchdog <>`, misspelt and with an empty address that is not
 * a valid From): the build our users run, so the mail filters they have
 * match it. sendmail -t completes the local part with the host name.
 */
const MAIL_FROM = 'IP bandwidth watchdog <ipband>';

/** A header value on one line: a line break in it would start a header of the caller's choosing. */
function headerValue(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}

/**
 * What ipband piped into `sendmail -t -oi`: To, From, Subject, a blank line,
 * the text report (which itself starts with a blank line), then the footer
 * file's text (-l, `mailfoot`) as it is, save that its line ends become \n
 * and it ends with one.
 */
export function mailMessage(r: BandwidthReport, o: { to: string; footer?: string }): string {
  const name = r.name !== undefined ? ` <${r.name}>` : '';
  let message = `To: ${headerValue(o.to)}\nFrom: ${MAIL_FROM}\nSubject: Bandwidth report for ${r.address}${name}\n\n` + reportText(r);
  if (o.footer !== undefined && o.footer !== '') {
    const footer = o.footer.replace(/\r\n?/g, '\n');
    message += footer.endsWith('\n') ? footer : footer + '\n';
  }
  return message;
}

// ---------------------------------------------------------------------------
// The -w page
// ---------------------------------------------------------------------------

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/**
 * ipband's -w page, rewritten every averaging period: every subnet judged and
 * its rate. As proc_aggr() wrote it, tabs, and the newline ctime() leaves
 * inside the Date cell, included; unlike it, the title and addresses are
 * HTML-escaped (ipband wrote its -w title into the page raw).
 */
export function htmlPage(o: { title: string; generated: number; refresh: number; subnets: { address: string; kBps: number }[] }): string {
  const title = escapeHtml(o.title);
  let page =
    '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">\n' +
    '\n' +
    '<html>\n' +
    '<head>\n' +
    `     <title>${title}</title>\n` +
    `     <meta http-equiv="Refresh" content="${Math.trunc(o.refresh)}">\n` +
    '     <meta http-equiv="Pragma" content="no-cache">\n' +
    '     <meta http-equiv="Cache-Control" content="no-cache">\n' +
    '     <link href="styles.css" rel="stylesheet" type="text/css">\n' +
    '</head>\n' +
    '\n' +
    '<body>\n' +
    '\n' +
    '<table width="100%" border="0" align="center">\n' +
    `<tr><td align="center" nowrap class="subject">${title}</td></tr>\n` +
    `<tr><td align="center" nowrap class="date">Date: ${ctime(o.generated)}</td></tr>\n` +
    '<tr><td><br></td></tr>\n' +
    '<tr>\n' +
    '\t<td align="center">\n' +
    '\t\t<table border="0" cellspacing="2" cellpadding="2">\n' +
    '\t\t<tr><td nowrap class="text"><b>IP address</b></td><td>&nbsp;</td><td align="right" nowrap class="text"><b>Bandwidth</b></td></tr>\n' +
    '\t\t<tr><td colspan="3"><hr class="line"></td></tr>\n';
  for (const s of o.subnets) {
    page += `\t\t<tr><td nowrap class="text">${escapeHtml(s.address)}</td><td>&nbsp;</td><td align="right" nowrap class="text">${cFixed(s.kBps, 2)} kBps</td></tr>\n`;
  }
  page += '\t\t</table>\n' + '\t</td>\n' + '</tr>\n' + '</table>\n' + '</body>\n' + '</html>\n';
  return page;
}

// ---------------------------------------------------------------------------
// The `report` record
// ---------------------------------------------------------------------------

/** A rate or share as the record carries it: printf's 2-decimal rounding, so the text printed from the record is the one printed from the report. */
function twoDecimals(x: number): number {
  return Number(cFixed(x, 2));
}

/**
 * The `report` NDJSON record: every field reportText() needs, so a reader
 * prints ipband's report from the record alone. Absent rather than null:
 * `name` when the network has none, `accumulated`, `watch_start` and
 * `accumulated_pct` without -A, a connection's `svc` when it has no service
 * (as the pkt record leaves out an unknown svc). kBps and the percentage are
 * rounded to 2 decimals; other numbers are as given.
 */
export function writeReportJson(out: LineOutput, r: BandwidthReport): void {
  const record: Record<string, unknown> = { type: 'report', ts: r.ts, net: r.net, address: r.address };
  if (r.name !== undefined) record.name = r.name;
  record.threshold = r.threshold;
  record.kBps = twoDecimals(r.kBps);
  record.exceeded = r.exceeded;
  record.since = r.since;
  if (r.accumulated !== undefined) record.accumulated = r.accumulated;
  if (r.watchStart !== undefined) record.watch_start = r.watchStart;
  if (r.accumulatedPct !== undefined) record.accumulated_pct = twoDecimals(r.accumulatedPct);
  record.top = r.top;
  record.total_conns = r.totalConns;
  record.total_bytes = r.totalBytes;
  record.dropped_conns = r.droppedConns;
  record.dropped_bytes = r.droppedBytes;
  record.conns = r.conns.map((c) => {
    const conn: Record<string, unknown> = { a: c.a, aport: c.aport, b: c.b, bport: c.bport, proto: c.proto, bytes: c.bytes };
    if (c.service !== '') conn.svc = c.service;
    return conn;
  });
  out.line(JSON.stringify(record));
}

type Fields = Record<string, unknown>;

function isFields(x: unknown): x is Fields {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function finite(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

function count(x: unknown): x is number {
  return Number.isSafeInteger(x) && (x as number) >= 0;
}

function port(x: unknown): x is number {
  return count(x) && x <= 0xffff;
}

function readConn(x: unknown): ReportConn | undefined {
  if (!isFields(x)) return undefined;
  const { a, aport, b, bport, proto, bytes, svc } = x;
  if (typeof a !== 'string' || typeof b !== 'string' || typeof proto !== 'string') return undefined;
  if (!port(aport) || !port(bport) || !finite(bytes) || bytes < 0) return undefined;
  if (svc !== undefined && typeof svc !== 'string') return undefined;
  return { a, aport, b, bport, proto, bytes, service: svc ?? '' };
}

/**
 * A parsed `report` record back as the report (trk-mail prints and mails it
 * from this); undefined when it is not a report record or a field is
 * missing or of the wrong kind.
 */
export function readReportRecord(obj: unknown): BandwidthReport | undefined {
  if (!isFields(obj) || obj.type !== 'report') return undefined;
  const { ts, net, address, name, threshold, kBps, exceeded, since, accumulated, watch_start, accumulated_pct, top } = obj;
  const { total_conns, total_bytes, dropped_conns, dropped_bytes, conns } = obj;
  if (!finite(ts) || typeof net !== 'string' || typeof address !== 'string') return undefined;
  if (name !== undefined && typeof name !== 'string') return undefined;
  if (!finite(threshold) || !finite(kBps) || !finite(exceeded) || !finite(since) || !count(top)) return undefined;
  if (accumulated !== undefined && !finite(accumulated)) return undefined;
  if (watch_start !== undefined && !finite(watch_start)) return undefined;
  if (accumulated_pct !== undefined && !finite(accumulated_pct)) return undefined;
  if (!count(total_conns) || !finite(total_bytes) || !count(dropped_conns) || !finite(dropped_bytes)) return undefined;
  if (!Array.isArray(conns)) return undefined;
  const read: ReportConn[] = [];
  for (const c of conns) {
    const conn = readConn(c);
    if (conn === undefined) return undefined;
    read.push(conn);
  }
  const report: BandwidthReport = {
    ts,
    net,
    address,
    threshold,
    kBps,
    exceeded,
    since,
    top,
    conns: read,
    totalConns: total_conns,
    totalBytes: total_bytes,
    droppedConns: dropped_conns,
    droppedBytes: dropped_bytes,
  };
  if (name !== undefined) report.name = name;
  if (accumulated !== undefined) report.accumulated = accumulated;
  if (watch_start !== undefined) report.watchStart = watch_start;
  if (accumulated_pct !== undefined) report.accumulatedPct = accumulated_pct;
  return report;
}
