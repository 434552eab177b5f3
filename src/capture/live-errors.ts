/**
 * The one-line messages live capture ends with, each with the fix when there
 * is one. Both engines report the same failures the same way.
 */
import { InputError } from './source.js';

const NODE_SETCAP = 'setcap cap_net_raw,cap_net_admin=eip "$(readlink -f "$(command -v node)")"';
const TCPDUMP_SETCAP = 'setcap cap_net_raw,cap_net_admin=eip "$(readlink -f "$(command -v tcpdump)")"';

export function noSuchDevice(iface: string): InputError {
  return new InputError(`cannot open ${iface}: no such device (trk-capture -D lists the interfaces)`);
}

export function permissionDenied(iface: string, engine: 'cap' | 'tcpdump', detail: string): InputError {
  const fix =
    engine === 'cap'
      ? `run as root, or give node the capabilities: ${NODE_SETCAP}`
      : `run as root, or give tcpdump the capabilities: ${TCPDUMP_SETCAP}`;
  return new InputError(`cannot open ${iface}: permission denied (${detail}); ${fix}`);
}

export function badFilter(filter: string, detail: string): InputError {
  return new InputError(`bad filter '${filter}': ${detail}`);
}

/**
 * cap is an optional dependency: where libpcap-dev was missing its build
 * failed and npm left it out, so it must be installed again, not rebuilt.
 */
export function capMissing(detail: string, installed: boolean): InputError {
  const fix = installed ? 'npm rebuild cap' : 'npm install again in trk\'s directory';
  return new InputError(`the cap engine is not available (${detail}): apt-get install libpcap-dev, then ${fix}; or use --engine tcpdump`);
}

export function tcpdumpMissing(): InputError {
  return new InputError('the tcpdump engine needs tcpdump: apt-get install tcpdump (or use --engine cap)');
}

export function cannotOpen(iface: string, detail: string): InputError {
  return new InputError(`cannot open ${iface}: ${detail}`);
}

/** Put libpcap's message for a failed open into one of the messages above. */
export function openFailure(iface: string, filter: string | undefined, engine: 'cap' | 'tcpdump', message: string): InputError {
  const detail = message.replace(/\s+/g, ' ').replace(/^tcpdump: /, '').trim();
  if (/no such device|SIOCGIFINDEX|SIOCGIFHWADDR: No such/i.test(detail)) return noSuchDevice(iface);
  if (/operation not permitted|permission/i.test(detail)) {
    const inner = /\(([^)]*)\)\s*$/.exec(detail)?.[1] ?? detail;
    return permissionDenied(iface, engine, inner);
  }
  if (filter !== undefined && /filter|syntax error|parse|unknown host|illegal|expression/i.test(detail)) {
    return badFilter(filter, detail);
  }
  return cannotOpen(iface, detail);
}
