/**
 * The shapes trk-mail's parts agree on: what it picks out of its input
 * (alerts, in any of the three forms the other commands write, and ipband
 * reports), and the messages it makes of them.
 *
 * The flow: lines → parse.ts (MailEvent or nothing; every line is passed on
 * unchanged whatever it is) → digest.ts (selection, windows, collapsing,
 * the hourly cap → MailPlan) → compose.ts (an RFC 5322 message) → spool.ts
 * (kept on disk until a transport.ts has handed it over).
 */
import type { BandwidthReport } from '../threshold/types.js';

/** One ALERT, from a machine line, a -H line or an `alert` record. */
export interface AlertEvent {
  type: 'alert';
  /** Seconds since the epoch (the alert's own time; whole seconds for text lines). */
  ts: number;
  /** TYPE and KIND of the ALERT line: ARP wrongnet, BANDWIDTH exceeded, HOST silent … */
  family: string;
  kind: string;
  /** The k=v details, in order (empty for a -H line, which has a sentence instead). */
  details: [key: string, value: string][];
  /** The -H sentence or the record's msg, when the input had one. */
  sentence?: string;
  /** The input line itself, without its newline. */
  line: string;
}

/** An ipband report (a `report` record of trk-threshold). */
export interface ReportEvent {
  type: 'report';
  ts: number;
  report: BandwidthReport;
  line: string;
}

export type MailEvent = AlertEvent | ReportEvent;

/** Alerts that are the same alert (family, kind and details), collapsed into one entry of a digest. */
export interface AlertGroupEntry {
  family: string;
  kind: string;
  details: [string, string][];
  sentence?: string;
  count: number;
  first: number;
  last: number;
}

/** What one mail is to say, before it is composed. */
export type MailPlan =
  | {
      type: 'digest';
      /** The times of its first and last alert (alert time, both included). */
      start: number;
      end: number;
      /** Entries grouped by family then kind, in the order first seen. */
      entries: AlertGroupEntry[];
      /** Alerts in it, counting each collapsed repeat. */
      alerts: number;
      /** Mails the hourly cap held back since the last mail that went, and the alerts they held. */
      heldMails: number;
      heldAlerts: number;
    }
  | {
      type: 'report';
      report: BandwidthReport;
      heldMails: number;
      heldAlerts: number;
    };

/** A composed message, ready for a transport. */
export interface OutgoingMail {
  /** Stable across retries and restarts: the spool file's name and the Message-ID's local part. */
  id: string;
  from: string;
  to: string[];
  /** The whole RFC 5322 message, headers and body, CRLF line ends. */
  raw: Buffer;
}

/** How a delivery attempt ended. */
export type DeliveryResult =
  | { ok: true }
  /** Try again later: the server was down, refused for now (4xx), dropped the connection. */
  | { ok: false; permanent: false; reason: string }
  /** The server refused for good (5xx): keep it, say so. */
  | { ok: false; permanent: true; reason: string };

export interface Transport {
  /** Hand one message over. Never throws: the result says how it went. */
  send(mail: OutgoingMail): Promise<DeliveryResult>;
  /** For messages: "smtp://mail.example.net:587", "/usr/sbin/sendmail -t -oi". */
  readonly describe: string;
  close(): void;
}
