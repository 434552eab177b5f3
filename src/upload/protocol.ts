/**
 * The wire between trk-upload and trk-collect: one HTTP POST a batch.
 *
 *   POST /ingest HTTP/1.1                       (any path is taken; /ingest by convention)
 *   Content-Type: application/x-ndjson
 *   Content-Encoding: gzip                      (or none)
 *   Authorization: Bearer TOKEN                 (when the collector has --tokens)
 *   X-Trk-Sensor: gw1                           (the collector takes the token's name over it)
 *   X-Trk-Batch: 0mh3k2a1b-4f3a9c1e/17          (STREAM/SEQ: see below)
 *   X-Trk-Lines: 10000                          (the collector checks the count)
 *
 *   body: whole lines, each ending in '\n', exactly as trk-upload read them
 *
 * A batch id is the uploader's STREAM (one per run of trk-upload, made so
 * that a later run's stream sorts after an earlier one's) and SEQ (1, 2, …
 * within the stream, with no gaps unless the spool cap dropped batches). The
 * uploader sends one batch at a time per sensor, oldest first, and retries
 * until it has an answer, so the collector drops a batch whose SEQ is at or
 * below the highest it has committed for that stream: at-least-once
 * delivery, applied exactly once.
 *
 * Answers: 200 {"accepted":N} or 200 {"duplicate":true} — done;
 * 400 (the batch is not lines; the body names the line), 413 (too big),
 * 401 (token) — the uploader keeps the batch aside and says so;
 * 503 with Retry-After, 5xx, a timeout or a dropped connection — try again.
 */

export const HEADER_SENSOR = 'x-trk-sensor';
export const HEADER_BATCH = 'x-trk-batch';
export const HEADER_LINES = 'x-trk-lines';
export const CONTENT_TYPE = 'application/x-ndjson';
export const INGEST_PATH = '/ingest';

/** A sensor's name: safe as a directory name, a JSON string without escapes, and an awk field. */
export const SENSOR_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** STREAM/SEQ: the stream is base36 time and random hex, [0-9a-z-], at most 40 characters. */
export const BATCH_ID = /^([0-9a-z][0-9a-z-]{0,39})\/([1-9][0-9]{0,15})$/;

export interface BatchId {
  stream: string;
  seq: number;
}

export function formatBatchId(id: BatchId): string {
  return `${id.stream}/${id.seq}`;
}

export function parseBatchId(text: string | undefined): BatchId | undefined {
  const m = text === undefined ? null : BATCH_ID.exec(text);
  if (!m) return undefined;
  const seq = Number(m[2]);
  return Number.isSafeInteger(seq) ? { stream: m[1]!, seq } : undefined;
}

/**
 * A new stream id: the start time in milliseconds, base36 and zero-padded to
 * 9 digits (good until the year 5188), so streams sort by when they began,
 * then 8 random hex digits so two runs in the same millisecond differ.
 */
export function newStreamId(nowMs: number = Date.now(), random: () => number = Math.random): string {
  const time = Math.floor(nowMs).toString(36).padStart(9, '0');
  let hex = '';
  for (let i = 0; i < 8; i++) hex += Math.floor(random() * 16).toString(16);
  return `${time}-${hex}`;
}

/** A hostname as a sensor name: anything not allowed made '-', at most 64 characters. */
export function sensorFromHostname(hostname: string): string {
  const cleaned = hostname.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 64);
  return SENSOR_NAME.test(cleaned) ? cleaned : 'sensor';
}
