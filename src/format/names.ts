/**
 * Names shared by the JSON and human formatters: the `proto`, `eth` and
 * `flags` vocabularies of the pkt record (DESIGN.md), and tcpdump's flag
 * letters for human lines.
 */

/** IANA protocol numbers the pkt record names; the rest are written as numbers. */
const PROTOCOL_NAMES = new Map<number, string>([
  [1, 'icmp'],
  [2, 'igmp'],
  [6, 'tcp'],
  [17, 'udp'],
  [47, 'gre'],
  [50, 'esp'],
  [51, 'ah'],
  [58, 'icmp6'],
  [89, 'ospf'],
  [103, 'pim'],
  [112, 'vrrp'],
  [132, 'sctp'],
]);

export function protocolName(proto: number): string | undefined {
  return PROTOCOL_NAMES.get(proto);
}

const ETHERTYPE_NAMES = new Map<number, string>([
  [0x0800, 'ipv4'],
  [0x86dd, 'ipv6'],
  [0x0806, 'arp'],
]);

/** `"ipv4"`, `"ipv6"`, `"arp"`, else lower-case `0x%04x`. */
export function ethertypeName(type: number): string {
  return ETHERTYPE_NAMES.get(type) ?? '0x' + type.toString(16).padStart(4, '0');
}

/** The pkt record's flags: letters of FSRPAUEC for the bits set, FIN = bit 0 … CWR = bit 7. */
export function tcpFlagLetters(flags: number): string {
  let text = '';
  for (let bit = 0; bit < 8; bit++) if ((flags & (1 << bit)) !== 0) text += 'FSRPAUEC'[bit];
  return text;
}

/**
 * tcpdump's rendering (print-tcp.c tcp_flag_values): S F R P U E W in bit
 * order with "." for ACK, and "none" when no flag is set.
 */
export function tcpdumpFlags(flags: number): string {
  let text = '';
  for (let bit = 0; bit < 8; bit++) if ((flags & (1 << bit)) !== 0) text += 'FSRP.UEW'[bit];
  return text === '' ? 'none' : text;
}
