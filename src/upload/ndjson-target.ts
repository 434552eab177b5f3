/**
 * The target for trk-collect and for any NDJSON-over-HTTP ingest (Vector's
 * http_server source, Fluent Bit's http input, Logstash's http input): one
 * POST a batch, the body the lines as read, gzip (as spooled, sent without
 * recompressing) or plain, with the batch id headers of protocol.ts, which
 * trk-collect uses to drop duplicates and other ingests simply ignore.
 *
 * Answers: 2xx — taken; 400, 413, 422 — this batch will never be taken as it
 * is (kept aside); anything else — try again (5xx, 429, 401/403 until the
 * operator fixes the token: the data is still there).
 */
import { CONTENT_TYPE, formatBatchId, HEADER_BATCH, HEADER_LINES, HEADER_SENSOR } from './protocol.js';
import type { Batch, Target, TargetRequest, Verdict } from './target.js';

export interface NdjsonTargetOptions {
  /** For messages, without any password: "https://collector.example.net:8514/ingest". */
  url: string;
  compress: 'gzip' | 'none';
  /** The bearer token now (re-read on SIGHUP), if any. */
  token: () => string | undefined;
  /** user:password from the URL, sent as Basic auth when there is no token. */
  basic?: string;
  /** --header 'Name: value', in order; they may override ours (an ingest that wants its own Content-Type). */
  headers: [string, string][];
}

export function ndjsonTarget(o: NdjsonTargetOptions): Target {
  return {
    describe: o.url,
    async requests(batch: Batch): Promise<TargetRequest[]> {
      const headers: Record<string, string> = {
        'content-type': CONTENT_TYPE,
        [HEADER_SENSOR]: batch.sensor,
        [HEADER_BATCH]: formatBatchId(batch.id),
        [HEADER_LINES]: String(batch.lines),
      };
      const token = o.token();
      if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
      else if (o.basic !== undefined) headers['authorization'] = `Basic ${Buffer.from(o.basic).toString('base64')}`;
      let body: Buffer;
      if (o.compress === 'gzip') {
        headers['content-encoding'] = 'gzip';
        body = await batch.gzip();
      } else body = await batch.raw();
      for (const [name, value] of o.headers) headers[name.toLowerCase()] = value;
      return [{ path: '', headers, body }];
    },
    verdict(status: number): Verdict {
      if (status >= 200 && status < 300) return 'done';
      if (status === 400 || status === 413 || status === 422) return 'reject';
      return 'retry';
    },
  };
}

/** 'Name: value' from --header; throws an Error saying what is wrong. */
export function parseHeaderOption(text: string): [string, string] {
  const colon = text.indexOf(':');
  const name = colon < 0 ? '' : text.slice(0, colon).trim();
  const value = colon < 0 ? '' : text.slice(colon + 1).trim();
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new Error(`--header takes 'Name: value', not '${text}'`);
  if (/[\r\n\0]/.test(value)) throw new Error(`--header ${name}: the value cannot hold a line break`);
  if (['content-length', 'host', 'transfer-encoding', 'connection'].includes(name.toLowerCase())) {
    throw new Error(`--header cannot set ${name}: it belongs to the HTTP connection`);
  }
  return [name, value];
}
