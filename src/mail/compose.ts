/**
 * A MailPlan made into an RFC 5322 message: a digest of alerts, or an ipband
 * report, each as a text part and an HTML alternative. nodemailer's
 * MailComposer does the MIME work (boundaries, transfer encodings, RFC 2047
 * headers, folding); this module decides what the mail says.
 *
 * The HTML is self-contained (inline styles, no images, scripts or links to
 * fetch) so that a mail client that blocks remote content shows it whole.
 */
import { randomBytes } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';
import { cFixed, reportText } from '../threshold/report.js';
import type { BandwidthReport } from '../threshold/types.js';
import type { AlertGroupEntry, MailPlan, OutgoingMail } from './types.js';

export interface ComposeOptions {
  from: string;
  to: string[];
  /** Subject template; fields {host} {type} {kind} {count} {net}. */
  subject?: string;
  /** This machine's name, for the subject and the Message-ID. */
  host: string;
  /** ipband's -l mail footer, appended to both parts. */
  footer?: string;
  /** The Date of the mail, seconds since the epoch (as every time in these types). */
  now: number;
}

/** A subject longer than this is cut: it is for an inbox list, and a header must stay sane. */
const SUBJECT_MAX = 200;
/** Connections drawn in a report's bar chart. */
const CHART_BARS = 10;

/**
 * The message for a plan. A Promise, not the OutgoingMail itself: MailComposer
 * builds the MIME tree through streams and has no synchronous form.
 */
export function composeMail(plan: MailPlan, o: ComposeOptions): Promise<OutgoingMail> {
  const id = newMailId();
  const { text, html } = plan.type === 'digest' ? digestBodies(plan, o.host) : reportBodies(plan, o.footer);
  const headers: Record<string, string> = {};
  if (plan.heldMails > 0) headers['X-Trk-Held'] = `${plan.heldMails} mails, ${plan.heldAlerts} alerts`;
  const composer = new MailComposer({
    from: o.from,
    to: o.to,
    subject: subjectFor(plan, o.subject, o.host),
    date: new Date(epochMs(o.now)),
    messageId: `<${id}@${headerSafe(o.host).replace(/[\s<>@]/g, '') || 'localhost'}>`,
    text,
    html,
    headers,
    newline: 'win',
    // nothing in these mails may point the composer at a file or a URL to read
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  return composer
    .compile()
    .build()
    .then((raw) => ({ id, from: o.from, to: [...o.to], raw }));
}

/**
 * The command's times are seconds; a caller that passes Date.now() would
 * date its mail in the year 50000. 1e11 seconds is the year 5138, so a value
 * past it can only be milliseconds.
 */
function epochMs(t: number): number {
  return t > 1e11 ? t : t * 1000;
}

let sequence = 0;

/**
 * Unique across processes and restarts (time, pid, a counter and randomness),
 * and safe as a file name and as a Message-ID's local part.
 */
export function newMailId(): string {
  sequence = (sequence + 1) % 1_000_000;
  return `${Date.now().toString(36)}.${process.pid.toString(36)}.${sequence.toString(36)}.${randomBytes(5).toString('hex')}`;
}

// ---------------------------------------------------------------------------
// Subject
// ---------------------------------------------------------------------------

/** The entry a digest is named after: the most frequent, the first one seen on a tie. */
function headlineEntry(entries: AlertGroupEntry[]): AlertGroupEntry | undefined {
  let best: AlertGroupEntry | undefined;
  for (const e of entries) if (best === undefined || e.count > best.count) best = e;
  return best;
}

const NET_KEYS = ['net', 'addr', 'dst'];

/** A digest's first net= / addr= / dst= detail, in the order of the entries. */
function netDetail(entries: AlertGroupEntry[], prefer?: AlertGroupEntry): [string, string] | undefined {
  for (const e of prefer ? [prefer, ...entries] : entries) {
    const d = e.details.find(([k]) => NET_KEYS.includes(k));
    if (d) return d;
  }
  return undefined;
}

/** One header line whatever the data: control characters (CR and LF above all) become spaces. */
function headerSafe(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]+/g, ' ').replace(/ {2,}/g, ' ').trim();
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * The subject: the template with its fields filled in, or a default that
 * tells the story in an inbox list ("[trk gw] TCP synflood dst=10.10.1.20
 * and 4 more alerts", "[trk gw] Bandwidth report for 10.10.1.0/24 <office>").
 * Fields: {host}, {type} (the headline entry's family, BANDWIDTH for a
 * report), {kind} ("report" for a report), {count} (alerts in the mail; 1
 * for a report), {net} (the report's subnet, or the digest's first net=,
 * addr= or dst= value). Unknown fields stay as written.
 */
export function subjectFor(plan: MailPlan, template: string | undefined, host: string): string {
  let fields: Record<string, string>;
  let fallback: string;
  if (plan.type === 'report') {
    const r = plan.report;
    const name = r.name !== undefined ? ` <${r.name}>` : '';
    fields = { host, type: 'BANDWIDTH', kind: 'report', count: '1', net: r.net };
    fallback = `[trk ${host}] Bandwidth report for ${r.net}${name}`;
  } else {
    const top = headlineEntry(plan.entries);
    const net = netDetail(plan.entries, top);
    fields = { host, type: top?.family ?? '', kind: top?.kind ?? '', count: String(plan.alerts), net: net?.[1] ?? '' };
    let what = top ? `${top.family} ${top.kind}` : 'no alerts';
    if (top) {
      const topNet = top.details.find(([k]) => NET_KEYS.includes(k)) ?? top.details[0];
      if (topNet) what += ` ${topNet[0]}=${topNet[1]}`;
      else if (top.sentence) what += `: ${top.sentence}`;
    }
    const more = plan.alerts - 1;
    fallback = `[trk ${host}] ${what}` + (more > 0 ? ` and ${plural(more, 'more alert', 'more alerts')}` : '');
  }
  const subject = template === undefined ? fallback : template.replace(/\{(\w+)\}/g, (all, key: string) => fields[key] ?? all);
  const line = headerSafe(subject);
  return line.length > SUBJECT_MAX ? line.slice(0, SUBJECT_MAX - 1) + '…' : line;
}

// ---------------------------------------------------------------------------
// Digest
// ---------------------------------------------------------------------------

function two(n: number): string {
  return String(n).padStart(2, '0');
}

/** Local time, YYYY-MM-DD HH:MM:SS (TZ honoured), of whole seconds. */
export function localTime(epochSeconds: number): string {
  const d = new Date(Math.floor(epochSeconds) * 1000);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

interface DigestGroup {
  family: string;
  kind: string;
  entries: AlertGroupEntry[];
  count: number;
  first: number;
  last: number;
}

/** Entries by family and kind, in the order first seen (the plan lists them so already; grouping keeps it whatever). */
function groupEntries(entries: AlertGroupEntry[]): DigestGroup[] {
  const groups = new Map<string, DigestGroup>();
  for (const e of entries) {
    const key = `${e.family}\u0000${e.kind}`;
    let g = groups.get(key);
    if (!g) {
      g = { family: e.family, kind: e.kind, entries: [], count: 0, first: e.first, last: e.last };
      groups.set(key, g);
    }
    g.entries.push(e);
    g.count += e.count;
    g.first = Math.min(g.first, e.first);
    g.last = Math.max(g.last, e.last);
  }
  return [...groups.values()];
}

function heldSentence(plan: MailPlan): string {
  return (
    `The hourly mail cap held back ${plural(plan.heldMails, 'mail', 'mails')} with ${plural(plan.heldAlerts, 'alert', 'alerts')}; ` +
    `they are merged into this one.`
  );
}

function detailsText(e: AlertGroupEntry): string {
  return e.details.map(([k, v]) => `${k}=${v}`).join(' ');
}

function digestText(plan: Extract<MailPlan, { type: 'digest' }>, host: string): string {
  const lines: string[] = [];
  if (plan.heldMails > 0) lines.push(heldSentence(plan), '');
  lines.push(`${plural(plan.alerts, 'alert', 'alerts')} on ${host} between ${localTime(plan.start)} and ${localTime(plan.end)}.`);
  for (const g of groupEntries(plan.entries)) {
    lines.push('');
    lines.push(`${g.family} ${g.kind}: ${plural(g.count, 'alert', 'alerts')}, first ${localTime(g.first)}, last ${localTime(g.last)}`);
    for (const e of g.entries) {
      const details = detailsText(e);
      lines.push(`  ${details || e.sentence || '(no details)'}`);
      lines.push(`    ${plural(e.count, 'time', 'times')}, first ${localTime(e.first)}, last ${localTime(e.last)}`);
      if (details && e.sentence) lines.push(`    ${e.sentence}`);
    }
  }
  return lines.join('\n') + '\n';
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

const FONT = 'font-family:Helvetica,Arial,sans-serif;font-size:14px;color:#222';
const CELL = 'padding:4px 8px;border-bottom:1px solid #ddd;text-align:left;vertical-align:top';
const HEAD_CELL = `${CELL};background:#f0f0f0;font-weight:bold`;
const NOTE = 'padding:8px;margin:0 0 12px 0;background:#fff4d6;border:1px solid #e6c35c';

function htmlDocument(title: string, body: string): string {
  return (
    '<!DOCTYPE html>\n<html><head><meta charset="utf-8">' +
    `<title>${escapeHtml(title)}</title></head>\n<body style="${FONT}">\n${body}</body></html>\n`
  );
}

function digestHtml(plan: Extract<MailPlan, { type: 'digest' }>, host: string): string {
  let body = '';
  if (plan.heldMails > 0) body += `<p style="${NOTE}">${escapeHtml(heldSentence(plan))}</p>\n`;
  body += `<p>${escapeHtml(`${plural(plan.alerts, 'alert', 'alerts')} on ${host} between ${localTime(plan.start)} and ${localTime(plan.end)}.`)}</p>\n`;
  body += `<table style="border-collapse:collapse">\n<tr>`;
  for (const h of ['Alert', 'Details', 'Count', 'First', 'Last']) body += `<th style="${HEAD_CELL}">${h}</th>`;
  body += '</tr>\n';
  for (const g of groupEntries(plan.entries)) {
    body +=
      `<tr><td style="${CELL};font-weight:bold" colspan="2">${escapeHtml(`${g.family} ${g.kind}`)}</td>` +
      `<td style="${CELL};font-weight:bold;text-align:right">${g.count}</td>` +
      `<td style="${CELL};font-weight:bold">${localTime(g.first)}</td><td style="${CELL};font-weight:bold">${localTime(g.last)}</td></tr>\n`;
    for (const e of g.entries) {
      const details = detailsText(e);
      let cell = escapeHtml(details || e.sentence || '(no details)');
      if (details && e.sentence) cell += `<br><span style="color:#555">${escapeHtml(e.sentence)}</span>`;
      body +=
        `<tr><td style="${CELL}"></td><td style="${CELL};font-family:monospace">${cell}</td>` +
        `<td style="${CELL};text-align:right">${e.count}</td><td style="${CELL}">${localTime(e.first)}</td><td style="${CELL}">${localTime(e.last)}</td></tr>\n`;
    }
  }
  body += '</table>\n';
  return htmlDocument(`trk alerts on ${host}`, body);
}

function digestBodies(plan: Extract<MailPlan, { type: 'digest' }>, host: string): { text: string; html: string } {
  return { text: digestText(plan, host), html: digestHtml(plan, host) };
}

// ---------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------

/** The footer as ipband appended it: \n line ends, ending with one. */
function footerText(footer: string | undefined): string {
  if (footer === undefined || footer === '') return '';
  const text = footer.replace(/\r\n?/g, '\n');
  return text.endsWith('\n') ? text : text + '\n';
}

function reportFacts(r: BandwidthReport): [string, string][] {
  const facts: [string, string][] = [
    ['Date', localTime(r.ts)],
    ['Network', r.net + (r.name !== undefined ? ` <${r.name}>` : '')],
    ['Bandwidth threshold', `${cFixed(r.threshold, 2)} kB/s`],
    ['Rate in the last period', `${cFixed(r.kBps, 2)} kB/s`],
    ['Exceeded for', `${cFixed(r.exceeded / 60, 2)} min`],
    ['Logging since', localTime(r.since)],
  ];
  if (r.accumulated !== undefined) {
    facts.push([`Exceeded since ${localTime(r.watchStart ?? r.since)}`, `${cFixed(r.accumulated / 60, 2)} min (${cFixed(r.accumulatedPct ?? 0, 2)}%)`]);
  }
  facts.push(['Connections', `${r.totalConns} logged, ${cFixed(r.totalBytes / 1024, 2)} kB` + (r.top > 0 ? `; top ${r.top} shown` : '')]);
  return facts;
}

function barChart(r: BandwidthReport): string {
  const bars = r.conns.slice(0, CHART_BARS);
  const max = Math.max(1, ...bars.map((c) => c.bytes));
  let html = `<table style="border-collapse:collapse;margin-top:12px">\n`;
  for (const c of bars) {
    const pct = Math.max(1, Math.round((c.bytes / max) * 100));
    const label = `${c.a}:${c.aport} ↔ ${c.b}:${c.bport} ${c.proto}`;
    html +=
      `<tr><td style="padding:2px 8px;font-family:monospace;white-space:nowrap">${escapeHtml(label)}</td>` +
      `<td style="padding:2px 8px;width:300px"><div style="background:#4a7fb5;height:12px;width:${pct}%"></div></td>` +
      `<td style="padding:2px 8px;text-align:right;white-space:nowrap">${cFixed(c.bytes / 1024, 2)} kB</td></tr>\n`;
  }
  return html + '</table>\n';
}

function reportHtml(plan: Extract<MailPlan, { type: 'report' }>, footer: string): string {
  const r = plan.report;
  let body = '';
  if (plan.heldMails > 0) body += `<p style="${NOTE}">${escapeHtml(heldSentence(plan))}</p>\n`;
  body += `<h2 style="font-size:18px;margin:0 0 8px 0">${escapeHtml(`Bandwidth report for ${r.net}` + (r.name !== undefined ? ` <${r.name}>` : ''))}</h2>\n`;
  body += '<table style="border-collapse:collapse;margin-bottom:12px">\n';
  for (const [k, v] of reportFacts(r)) body += `<tr><th style="${HEAD_CELL}">${escapeHtml(k)}</th><td style="${CELL}">${escapeHtml(v)}</td></tr>\n`;
  body += '</table>\n<table style="border-collapse:collapse">\n<tr>';
  for (const h of ['From', 'Port', 'To', 'Port', 'Protocol', 'kB', 'Service']) body += `<th style="${HEAD_CELL}">${h}</th>`;
  body += '</tr>\n';
  for (const c of r.conns) {
    body +=
      `<tr><td style="${CELL};font-family:monospace">${escapeHtml(c.a)}</td><td style="${CELL};text-align:right">${c.aport}</td>` +
      `<td style="${CELL};font-family:monospace">${escapeHtml(c.b)}</td><td style="${CELL};text-align:right">${c.bport}</td>` +
      `<td style="${CELL}">${escapeHtml(c.proto)}</td><td style="${CELL};text-align:right">${cFixed(c.bytes / 1024, 2)}</td>` +
      `<td style="${CELL}">${escapeHtml(c.service)}</td></tr>\n`;
  }
  if (r.droppedConns > 0) {
    body += `<tr><td style="${CELL}" colspan="7">${escapeHtml(`${plural(r.droppedConns, 'more connection', 'more connections')}, ${cFixed(r.droppedBytes / 1024, 2)} kB, not logged: detail table full`)}</td></tr>\n`;
  }
  body += '</table>\n';
  if (r.conns.length > 0) body += barChart(r);
  if (footer) body += `<pre style="margin-top:16px;color:#555">${escapeHtml(footer)}</pre>\n`;
  return htmlDocument(`Bandwidth report for ${r.net}`, body);
}

/** The text part is what ipband mailed after its headers: reportText, then the footer. */
function reportBodies(plan: Extract<MailPlan, { type: 'report' }>, footer: string | undefined): { text: string; html: string } {
  const foot = footerText(footer);
  return { text: reportText(plan.report) + foot, html: reportHtml(plan, foot) };
}
