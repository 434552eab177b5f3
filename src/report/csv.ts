/**
 * The billing CSV (--csv): one row per local address, every address (the
 * page may show only the top N), in the --sort order, then the `others`
 * row when trk-tally had already folded rows into one. RFC 4180: a header
 * line, CRLF line ends, fields quoted only when they need it. Bytes are
 * exact integers; a charge (with --rate-in/--rate-out) has two decimals.
 *
 *   address,rx_ext_bytes,tx_ext_bytes,rx_int_bytes,tx_int_bytes,martian_bytes,ext_bytes,int_bytes,total_bytes[,charge]
 */
import type { HostSplit, ReportModel } from './model.js';
import { compareHosts, type SortKey } from './view.js';

export const CSV_HEADER = ['address', 'rx_ext_bytes', 'tx_ext_bytes', 'rx_int_bytes', 'tx_int_bytes', 'martian_bytes', 'ext_bytes', 'int_bytes', 'total_bytes'];

export function billingCsv(m: ReportModel, o: { sort: SortKey; rateIn?: number | undefined; rateOut?: number | undefined }): string {
  const charged = o.rateIn !== undefined || o.rateOut !== undefined;
  const lines = [[...CSV_HEADER, ...(charged ? ['charge'] : [])].join(',')];
  const row = (h: HostSplit): string => {
    const ext = h.rxExt + h.txExt;
    const int = h.rxInt + h.txInt;
    const fields: (string | number)[] = [field(h.addr), h.rxExt, h.txExt, h.rxInt, h.txInt, h.martian, ext, int, ext + int + h.martian];
    if (charged) fields.push(((ext / 1e9) * (o.rateOut ?? 0) + (int / 1e9) * (o.rateIn ?? 0)).toFixed(2));
    return fields.join(',');
  };
  for (const h of [...m.hosts.values()].sort(compareHosts(o.sort))) lines.push(row(h));
  if (m.other) lines.push(row(m.other));
  return lines.join('\r\n') + '\r\n';
}

function field(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
