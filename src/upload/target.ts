/**
 * Where trk-upload sends a batch: trk-collect and any NDJSON-over-HTTP
 * ingest take the spooled body as it is (src/upload/ndjson-target.ts);
 * ClickHouse gets rows for INSERT … FORMAT JSONEachRow
 * (src/upload/clickhouse.ts). The sender (src/upload/sender.ts) does the
 * HTTP, the retries and the spool; a target only says what to send for a
 * batch and what an answer means.
 */
import type { BatchId } from './protocol.js';

/** One spooled batch: whole lines, each ending in '\n', exactly as they were read. */
export interface Batch {
  id: BatchId;
  sensor: string;
  /** How many lines. */
  lines: number;
  /** The lines, gzip-compressed, as they sit in the spool. */
  gzip(): Promise<Buffer>;
  /** The lines themselves. */
  raw(): Promise<Buffer>;
}

/** One HTTP request to make for a batch (a batch may need several: ClickHouse, one per table). */
export interface TargetRequest {
  /** Path and query, appended to the URL's own path: '' for the URL as given. */
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

/** What an answer means for the batch. */
export type Verdict =
  /** taken (or already had it): the batch leaves the spool */
  | 'done'
  /** try again later (down, busy, 5xx, timeout, 401 until the token is fixed) */
  | 'retry'
  /** never going to be taken as it is (400, 413): kept aside in the spool's failed/ and said */
  | 'reject';

export interface Target {
  /** For messages: "trk-collect at https://…", "ClickHouse table trk.{type} at …". */
  describe: string;
  requests(batch: Batch): Promise<TargetRequest[]>;
  /** The meaning of one answer; `retryAfter` (seconds) when the server asked for a wait. */
  verdict(status: number, body: string): Verdict;
}
