/**
 * Where a command keeps what must outlive it (trk-mail's and trk-upload's
 * spools) unless told otherwise: under /var/spool as root, as a daemon
 * would; else in the user's XDG state directory.
 */
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

/** /var/spool/ROOT_NAME as root, else $XDG_STATE_HOME/trk/USER_NAME (~/.local/state/trk/USER_NAME). */
export function defaultStateDir(rootName: string, userName: string): string {
  if (process.getuid?.() === 0) return join('/var/spool', rootName);
  const xdg = process.env['XDG_STATE_HOME'];
  // the XDG spec says a relative path is invalid and is to be ignored
  const state = xdg !== undefined && isAbsolute(xdg) ? xdg : join(homedir(), '.local', 'state');
  return join(state, 'trk', userName);
}
