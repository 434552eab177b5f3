/**
 * trk-upload's ClickHouse target (`--clickhouse TABLE`): a batch becomes
 * rows for `INSERT INTO TABLE FORMAT JSONEachRow` over ClickHouse's HTTP
 * interface, one request per destination table.
 *
 *   POST /?database=trk&query=INSERT+INTO+trk.pkt+FORMAT+JSONEachRow&input_format_skip_unknown_fields=1
 *   Content-Encoding: gzip
 *   X-ClickHouse-User: trk          (from the URL's user:password@, when given)
 *   X-ClickHouse-Key: secret
 *
 *   {"sensor":"gw1","batch":"0mh3k2a1b-4f3a9c1e/17","n":1,"type":"pkt","ts":…}
 *
 * Every row gets three fields in front: the sensor, the batch id
 * (STREAM/SEQ) and n, the line's number in the batch (1-based). A batch is
 * the same bytes every time it is sent, so a re-sent batch (its answer was
 * lost, or one of its tables failed and all are sent again) makes the same
 * rows, and contrib/clickhouse/schema.sql's ReplacingMergeTree tables,
 * ordered by (sensor, batch, n), fold them into one: SELECT … FINAL counts
 * exactly once.
 *
 * NDJSON records have those fields spliced in as bytes, without being
 * parsed: there is one pkt record per packet. A few field shapes that
 * ClickHouse 18.16 (Debian bookworm) cannot load into one column type are
 * mended in place: a pkt's `"proto":47` (a number for protocols without a
 * name) becomes `"proto":"47"`, and `"vlan":10` becomes `"vlan":[10]`. The
 * rare records are rebuilt: alert records and ALERT lines get the same
 * shape (so the JSON and the text form land in the same table), STAT lines
 * become the stat record's shape, and a report's `conns` list is stored as
 * its JSON text. Lines of no known kind (-H lines, comments) are skipped:
 * counted, and said once.
 *
 * Verdicts: ClickHouse 18.16 answers errors with `Code: NN` in the body and
 * a status that varies with the error (500 mostly, 400, 404 for an unknown
 * table or database, 401 for a wrong password), so the code decides: a
 * batch ClickHouse cannot parse will never load ('reject': kept aside in
 * the spool's failed/); anything else, a missing table included (the
 * operator may create it), is tried again.
 */
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import { SENSOR_RECORD_TAG, SENSOR_TEXT_TAG, lineKind, sensorTagSpace, startsWith, type LineKind } from '../io/line-kind.js';
import { formatBatchId } from './protocol.js';
import type { Batch, Target, TargetRequest, Verdict } from './target.js';
import { DATE_TIME_LENGTH, hasDateTimeShape, localEpochSeconds, parseDetails } from '../io/text-line.js';

const gzipAsync = promisify(gzip);

export interface ClickhouseOptions {
  /** http(s)://[user[:password]@]host:8123/[?database=DB&setting=value…] */
  url: URL;
  /** Destination table; `{type}` in it is replaced by the record's kind (trk.{type} → trk.pkt, trk.alert, …). */
  table: string;
  /** Rows without their own sensor (trk-collect's tag) get this one. */
  sensor: string;
  /** Extra HTTP headers on every request. */
  headers?: Record<string, string>;
  /** gzip (the default: ClickHouse reads Content-Encoding: gzip) or none. */
  compress?: 'gzip' | 'none';
  /** Told once, the first time lines are skipped. */
  warn?: (message: string) => void;
}

/** The kinds that become rows. */
export type RowKind = Exclude<LineKind, 'other'>;

export const TYPE_PLACEHOLDER = '{type}';

/**
 * ClickHouse error codes meaning the rows themselves are bad (the names are
 * 18.16's ErrorCodes.cpp): sending them again cannot help.
 */
export const REJECT_CODES: ReadonlySet<number> = new Set([
  6, // CANNOT_PARSE_TEXT
  16, // NO_SUCH_COLUMN_IN_TABLE
  25, // CANNOT_PARSE_ESCAPE_SEQUENCE
  26, // CANNOT_PARSE_QUOTED_STRING
  27, // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  38, // CANNOT_PARSE_DATE
  41, // CANNOT_PARSE_DATETIME
  53, // TYPE_MISMATCH
  69, // ARGUMENT_OUT_OF_BOUND
  70, // CANNOT_CONVERT_TYPE
  72, // CANNOT_PARSE_NUMBER
  117, // INCORRECT_DATA (e.g. an unknown or duplicate field)
  130, // CANNOT_READ_ARRAY_FROM_TEXT
  131, // TOO_LARGE_STRING_SIZE
]);

/** What a table name must look like once {type} is replaced: [db.]table, needing no quotes in the query. */
const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;

export function clickhouseTarget(options: ClickhouseOptions): Target {
  const { url, table, sensor } = options;
  if (!TABLE_NAME.test(table.replaceAll(TYPE_PLACEHOLDER, 'pkt'))) {
    throw new Error(`--clickhouse takes a table name like trk.{type} or trk.events (letters, digits, _ and one dot); not '${table}'`);
  }
  const gzipped = options.compress !== 'none';
  const headers: Record<string, string> = { 'content-type': 'application/x-ndjson', ...(gzipped ? { 'content-encoding': 'gzip' } : {}), ...options.headers };
  // ClickHouse's own headers rather than Basic auth: they work on every version since 2018 and keep the password out of the query log.
  if (url.username !== '') headers['x-clickhouse-user'] = decodeURIComponent(url.username);
  if (url.password !== '') headers['x-clickhouse-key'] = decodeURIComponent(url.password);
  let warned = false;
  const shown = new URL(url.href);
  shown.username = '';
  shown.password = '';

  const tableFor = (kind: RowKind): string => table.replaceAll(TYPE_PLACEHOLDER, kind);

  return {
    describe: `ClickHouse table ${table} at ${shown.origin}${shown.pathname}`,
    async requests(batch: Batch): Promise<TargetRequest[]> {
      const rows = batchRows(await batch.raw(), batch.sensor || sensor, formatBatchId(batch.id));
      if (rows.skipped > 0 && !warned && options.warn) {
        warned = true;
        options.warn(`ClickHouse: lines that are neither records nor STAT/ALERT lines are not loaded (${rows.skipped} in batch ${formatBatchId(batch.id)}; not said again)`);
      }
      // One table's rows for every kind when TABLE has no {type}.
      const byTable = new Map<string, Buffer[]>();
      for (const kind of ROW_KINDS) {
        const chunks = rows.byKind[kind];
        if (chunks.length === 0) continue;
        const name = tableFor(kind);
        const list = byTable.get(name);
        if (list) list.push(...chunks);
        else byTable.set(name, [...chunks]);
      }
      const requests: TargetRequest[] = [];
      for (const [name, chunks] of byTable) {
        const params = new URLSearchParams();
        params.set('query', `INSERT INTO ${name} FORMAT JSONEachRow`);
        // Fields a table has no column for (arp, nd, a tally's conn fields in a host table…) are left out, not an error.
        params.set('input_format_skip_unknown_fields', '1');
        const body = Buffer.concat(chunks);
        // The sender sends to the URL's path and query (?database=trk…) followed by this.
        requests.push({ path: `${url.search === '' ? '?' : '&'}${params.toString()}`, headers: { ...headers }, body: gzipped ? await gzipAsync(body) : body });
      }
      return requests;
    },
    verdict(status: number, body: string): Verdict {
      return clickhouseVerdict(status, body);
    },
  };
}

export function clickhouseVerdict(status: number, body: string): Verdict {
  if (status >= 200 && status < 300) return 'done';
  const code = /\bCode: (\d+)/.exec(body);
  if (code) return REJECT_CODES.has(Number(code[1])) ? 'reject' : 'retry';
  // Not ClickHouse's own answer: a proxy in front of it.
  return status === 413 ? 'reject' : 'retry';
}

const ROW_KINDS: readonly RowKind[] = ['pkt', 'tally', 'alert', 'stat', 'report'];

export interface BatchRows {
  /** Per kind, the JSONEachRow rows as chunks (each ending in '\n'). */
  byKind: Record<RowKind, Buffer[]>;
  /** Lines that became no row. */
  skipped: number;
}

const NEWLINE = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const SPACE = 0x20;

/**
 * The rows of one batch's lines. The common case copies each record once
 * into a row behind a short prefix; the rows of a kind stay in order.
 */
export function batchRows(raw: Buffer, sensor: string, batchId: string): BatchRows {
  const byKind: Record<RowKind, Buffer[]> = { pkt: [], tally: [], alert: [], stat: [], report: [] };
  let skipped = 0;
  // The prefix up to n's value is the same for every row of the batch.
  const ownPrefix = Buffer.from(`{"sensor":${JSON.stringify(sensor)},"batch":${JSON.stringify(batchId)},"n":`);
  const taggedPrefix = Buffer.from(`{"batch":${JSON.stringify(batchId)},"n":`);
  let n = 0;
  let start = 0;
  while (start < raw.length) {
    let nl = raw.indexOf(NEWLINE, start);
    if (nl < 0) nl = raw.length;
    n++;
    let end = nl;
    if (end > start && raw[end - 1] === CR) end--;
    const kind = lineKind(raw, start, end);
    if (kind === 'other') {
      if (end > start) skipped++;
    } else if (raw[start] === 0x7b /* { */) {
      const row = kind === 'pkt' ? pktRow(raw, start, end) : kind === 'alert' || kind === 'report' ? rebuiltRecord(raw, start, end, kind) : undefined;
      if (row === null) skipped++;
      else {
        // A record trk-collect tagged keeps its own sensor: it came from there.
        const tagged = startsWith(raw, start, end, SENSOR_RECORD_TAG);
        const prefix = tagged ? taggedPrefix : ownPrefix;
        // The record without its '{', behind the prefix that ends in a comma.
        const rest = row === undefined ? raw.subarray(start + 1, end) : typeof row === 'string' ? Buffer.from(row.slice(1)) : row.subarray(1);
        byKind[kind].push(prefix, Buffer.from(`${n},`), rest, NEWLINE_BUFFER);
      }
    } else {
      let lineSensor = sensor;
      let at = start;
      const space = sensorTagSpace(raw, start, end);
      if (space >= 0) {
        lineSensor = raw.toString('utf8', start + SENSOR_TEXT_TAG.length, space);
        at = space + 1;
      }
      const fields = kind === 'stat' ? statLineFields(raw.toString('utf8', at, end)) : alertLineFields(raw.toString('utf8', at, end));
      if (fields === undefined) skipped++;
      else {
        const row = { sensor: lineSensor, batch: batchId, n, type: kind, ...fields };
        byKind[kind].push(Buffer.from(JSON.stringify(row) + '\n'));
      }
    }
    start = nl + 1;
  }
  return { byKind, skipped };
}

const NEWLINE_BUFFER = Buffer.from('\n');

const PROTO_NUMBER = Buffer.from('"proto":');
const VLAN_NUMBER = Buffer.from('"vlan":');

/**
 * A pkt record, mended where a field's JSON type varies (undefined: as it
 * is). Both searches are bounded by the line, so a batch is read once.
 */
function pktRow(raw: Buffer, start: number, end: number): Buffer | undefined {
  const line = raw.subarray(start, end);
  const proto = valueAt(line, PROTO_NUMBER);
  const vlan = valueAt(line, VLAN_NUMBER);
  if (proto < 0 && vlan < 0) return undefined;
  const edits: [number, string, string][] = [];
  if (proto >= 0) edits.push([proto, '"', '"']);
  if (vlan >= 0) edits.push([vlan, '[', ']']);
  edits.sort((a, b) => a[0] - b[0]);
  const parts: Buffer[] = [];
  let from = 0;
  for (const [at, open, close] of edits) {
    let stop = at;
    while (stop < line.length && isDigit(line[stop])) stop++;
    parts.push(line.subarray(from, at), Buffer.from(open), line.subarray(at, stop), Buffer.from(close));
    from = stop;
  }
  parts.push(line.subarray(from));
  return Buffer.concat(parts);
}

/** Where KEY's value starts in the line when that value is a bare number; else -1. */
function valueAt(line: Buffer, key: Buffer): number {
  const at = line.indexOf(key);
  if (at < 0) return -1;
  const value = at + key.length;
  return isDigit(line[value]) ? value : -1;
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

/** Fields of an alert or report record that are not an alert's details. */
const ALERT_FIELDS = new Set(['sensor', 'type', 'ts', 'family', 'kind', 'msg']);

/**
 * An alert record with `details` (its detail fields as the ALERT line's
 * last field, k=v,k=v) added, or a report with `conns` as JSON text: as a
 * JSON string starting with '{'. null: not valid JSON.
 */
function rebuiltRecord(raw: Buffer, start: number, end: number, kind: 'alert' | 'report'): string | null {
  let record: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(raw.toString('utf8', start, end));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
    record = parsed as Record<string, unknown>;
  } catch {
    return null;
  }
  if (kind === 'report') {
    if (record['conns'] !== undefined) record['conns'] = JSON.stringify(record['conns']);
    return JSON.stringify(record);
  }
  const details: string[] = [];
  for (const [key, value] of Object.entries(record)) {
    if (!ALERT_FIELDS.has(key)) details.push(`${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  }
  return JSON.stringify({ ...record, details: details.join(',') });
}

/**
 * `DATE TIME STAT k=v k=v …` as the stat record's fields: ts and end (the
 * line's time), and every counter whose value is a number.
 */
export function statLineFields(line: string): Record<string, number> | undefined {
  const ts = lineSeconds(line);
  if (ts === undefined) return undefined;
  const fields: Record<string, number> = { ts, end: ts };
  for (const pair of line.slice(25).split(' ')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const value = pair.slice(eq + 1);
    // Counters only; a value that is not a number cannot go into a counter column.
    if (/^-?\d+(\.\d+)?$/.test(value)) fields[pair.slice(0, eq)] = Number(value);
  }
  return fields;
}

/**
 * `DATE TIME ALERT TYPE KIND k=v,k=v,…` as the alert record's fields:
 * ts, family, kind, each detail as a string field, and `details` (the
 * last field as it is).
 */
export function alertLineFields(line: string): Record<string, string | number> | undefined {
  const ts = lineSeconds(line);
  if (ts === undefined) return undefined;
  const words = line.slice(26).split(' ');
  const [family, kind, detailText = ''] = words;
  if (!family || !kind || words.length > 3) return undefined;
  const details = parseDetails(detailText);
  if (details === undefined) return undefined;
  const fields: Record<string, string | number> = { ts, family, kind };
  // A detail may not overwrite the fields every alert has.
  for (const [key, value] of details) if (!ALERT_FIELDS.has(key) && key !== 'details') fields[key] = value;
  fields['details'] = detailText;
  return fields;
}

/** Seconds since the epoch of the line's leading `YYYY-MM-DD HH:MM:SS ` (local time, as trk wrote it). */
function lineSeconds(line: string): number | undefined {
  const head = Buffer.from(line.slice(0, DATE_TIME_LENGTH + 1), 'latin1');
  if (head.length <= DATE_TIME_LENGTH || head[DATE_TIME_LENGTH] !== SPACE || !hasDateTimeShape(head, 0)) return undefined;
  return localEpochSeconds(head, 0);
}

