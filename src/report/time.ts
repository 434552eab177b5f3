/**
 * --from and --to: a local date and time as the STAT and ALERT lines write
 * it (`YYYY-MM-DD HH:MM[:SS]`, TZ honoured; a `T` between the two works
 * too, and a date alone is its midnight), or seconds since the epoch.
 */
import { UsageError } from '../cli/options.js';

export function parseWhen(option: string, text: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  const m = /^(\d{4})-(\d\d)-(\d\d)(?:[ T](\d\d):(\d\d)(?::(\d\d))?)?$/.exec(t);
  if (m) {
    const [, y, mo, d, h = '0', mi = '0', s = '0'] = m;
    const date = new Date(0);
    date.setFullYear(Number(y), Number(mo) - 1, Number(d));
    date.setHours(Number(h), Number(mi), Number(s), 0);
    // a date that does not exist (2026-02-30, 25:00) rolls over: refuse it instead
    const back = [date.getFullYear(), date.getMonth() + 1, date.getDate(), date.getHours(), date.getMinutes(), date.getSeconds()];
    const want = [y, mo, d, h, mi, s].map(Number);
    if (back.every((x, i) => x === want[i])) return date.getTime() / 1000;
  }
  throw new UsageError(`${option} takes a local date and time, YYYY-MM-DD HH:MM[:SS], or seconds since the epoch, not '${text}'`);
}
