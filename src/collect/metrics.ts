/**
 * What /metrics tells Prometheus: counters per sensor, in the text
 * exposition format 0.0.4. The set of sensors is bounded by who may post (a
 * tokens file), and a refused client with no valid name is counted under
 * sensor="" so a stranger cannot make up label values.
 */
export const REJECT_REASONS = ['token', 'too_large', 'bad_lines', 'bad_request', 'busy'] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

interface SensorCounters {
  batches: number;
  lines: number;
  bytes: number;
  duplicates: number;
  gaps: number;
  lastBatch: number;
  rejects: Map<RejectReason, number>;
}

export class Metrics {
  private readonly sensors = new Map<string, SensorCounters>();

  private of(sensor: string): SensorCounters {
    let c = this.sensors.get(sensor);
    if (!c) {
      c = { batches: 0, lines: 0, bytes: 0, duplicates: 0, gaps: 0, lastBatch: 0, rejects: new Map() };
      this.sensors.set(sensor, c);
    }
    return c;
  }

  accepted(sensor: string, lines: number, bytes: number, nowMs: number): void {
    const c = this.of(sensor);
    c.batches++;
    c.lines += lines;
    c.bytes += bytes;
    c.lastBatch = nowMs / 1000;
  }

  duplicate(sensor: string, nowMs: number): void {
    const c = this.of(sensor);
    c.duplicates++;
    c.lastBatch = nowMs / 1000;
  }

  gap(sensor: string): void {
    this.of(sensor).gaps++;
  }

  reject(sensor: string, reason: RejectReason): void {
    const c = this.of(sensor);
    c.rejects.set(reason, (c.rejects.get(reason) ?? 0) + 1);
  }

  /** --web: the event streams open now. */
  webStreams: (() => number) | undefined;

  render(): string {
    const sensors = [...this.sensors.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const out: string[] = [];
    const family = (name: string, type: 'counter' | 'gauge', help: string, value: (c: SensorCounters) => number, skip?: (c: SensorCounters) => boolean): void => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [sensor, c] of sensors) if (!skip?.(c)) out.push(`${name}{sensor="${label(sensor)}"} ${value(c)}`);
    };
    const named = (c: SensorCounters): boolean => c.batches + c.duplicates === 0;
    family('trk_collect_batches_total', 'counter', 'Batches accepted and stored.', (c) => c.batches, named);
    family('trk_collect_lines_total', 'counter', 'Lines accepted.', (c) => c.lines, named);
    family('trk_collect_bytes_total', 'counter', 'Bytes of lines accepted, after decompression.', (c) => c.bytes, named);
    family('trk_collect_duplicate_batches_total', 'counter', 'Batches received again and dropped (already committed).', (c) => c.duplicates, named);
    family('trk_collect_gaps_total', 'counter', "Jumps in a stream's batch sequence: batches the uploader dropped (its spool cap).", (c) => c.gaps, named);
    family('trk_collect_last_batch_timestamp_seconds', 'gauge', 'When the last batch (accepted or duplicate) was received, seconds since the epoch.', (c) => c.lastBatch, named);
    out.push('# HELP trk_collect_rejects_total Requests refused, by reason.', '# TYPE trk_collect_rejects_total counter');
    for (const [sensor, c] of sensors) {
      for (const reason of REJECT_REASONS) {
        const n = c.rejects.get(reason);
        if (n) out.push(`trk_collect_rejects_total{sensor="${label(sensor)}",reason="${reason}"} ${n}`);
      }
    }
    if (this.webStreams) out.push('# HELP trk_collect_web_streams Web pages open now (their event streams).', '# TYPE trk_collect_web_streams gauge', `trk_collect_web_streams ${this.webStreams()}`);
    return out.join('\n') + '\n';
  }
}

/** A label value as the exposition format wants it. */
function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
