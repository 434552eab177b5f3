/**
 * What trk-classify's watch raises: the alert kinds, their families, and the
 * one shape an alert has between detection (watch.ts) and the writers
 * (events.ts: ALERT lines, -H sentences, --json records).
 */

/** Alert kinds, in the order STAT lines and the man page list them. Unique across families. */
export const ARP_KINDS = ['wrongnet', 'gratuitous', 'mac_changed', 'flipflop', 'new_station', 'bogon', 'bad_mac'] as const;
export const ICMP6_KINDS = ['ns_wrongnet', 'na_wrongnet', 'ra_wrongnet', 'dad'] as const;
export const ALERT_KINDS = [...ARP_KINDS, ...ICMP6_KINDS] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** The TYPE field of an ALERT line. */
export type AlertFamily = 'ARP' | 'ICMPv6';

export function familyOf(kind: AlertKind): AlertFamily {
  return (ARP_KINDS as readonly string[]).includes(kind) ? 'ARP' : 'ICMPv6';
}

/**
 * Kinds off unless -A names them: new_station fires once for every host
 * (arpwatch's first day), and bogon fires for every host of any network on
 * the wire that was not named with --net; both are for operators who ask.
 */
export const DEFAULT_OFF: readonly AlertKind[] = ['new_station', 'bogon'];

export function isAlertKind(text: string): text is AlertKind {
  return (ALERT_KINDS as readonly string[]).includes(text);
}

/**
 * One alert. `details` are the k=v pairs of the ALERT line, in order, values
 * already as text with no spaces or commas (MACs lower-case colon-separated,
 * IPv6 in RFC 5952 form); the --json record carries the same keys.
 * `sentence` is the -H form after the date, for a person.
 */
export interface Alert {
  kind: AlertKind;
  family: AlertFamily;
  details: [key: string, value: string][];
  sentence: string;
}
