/**
 * The tokens file: who may post, and as which sensor.
 *
 *   # TOKEN                              SENSOR
 *   3f9c0e7a5b1d48e2a6c4f0b9d8e7a1c2     gw1
 *   9a8b7c6d5e4f30211f2e3d4c5b6a7980     campus-core
 *
 * One token a line, then the sensor's name; blank lines and # comments are
 * skipped. The name comes from the token, never from the client's
 * X-Trk-Sensor, so a sensor cannot write as another. Editing the file and
 * sending SIGHUP revokes or adds tokens without a restart.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { SENSOR_NAME } from '../upload/protocol.js';

export class TokenFileError extends Error {}

export interface Tokens {
  /** The sensor a presented token belongs to, or undefined. */
  sensorFor(token: string): string | undefined;
  readonly size: number;
  /** Said once on loading: a file others can read, a token too short to be secret. */
  readonly warnings: string[];
}

/** A token is compared by its digest, so the lookup takes the same time whatever the token shares with a real one. */
function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

export function parseTokens(text: string, file: string): Tokens {
  const byDigest = new Map<string, { digest: Buffer; sensor: string }>();
  const warnings: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const words = line.split(/\s+/);
    if (words.length !== 2) throw new TokenFileError(`${file}:${i + 1}: expected 'TOKEN SENSOR', got ${words.length} words`);
    const [token, sensor] = words as [string, string];
    if (!SENSOR_NAME.test(sensor)) throw new TokenFileError(`${file}:${i + 1}: '${sensor}' is not a sensor name (letters, digits, . _ -; at most 64)`);
    const d = digest(token);
    const key = d.toString('hex');
    if (byDigest.has(key)) throw new TokenFileError(`${file}:${i + 1}: this token is already given to ${byDigest.get(key)!.sensor}`);
    if (token.length < 16) warnings.push(`${file}:${i + 1}: the token of ${sensor} is shorter than 16 characters: easy to guess (openssl rand -hex 16 makes a good one)`);
    byDigest.set(key, { digest: d, sensor });
  });
  return {
    size: byDigest.size,
    warnings,
    sensorFor(token: string): string | undefined {
      const d = digest(token);
      const entry = byDigest.get(d.toString('hex'));
      return entry && timingSafeEqual(entry.digest, d) ? entry.sensor : undefined;
    },
  };
}

/** Read and parse FILE; throws TokenFileError with a message fit for one line. */
export function loadTokens(file: string): Tokens {
  let text: string;
  let mode: number;
  try {
    text = readFileSync(file, 'utf8');
    mode = statSync(file).mode;
  } catch (e) {
    throw new TokenFileError(`cannot read the tokens file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const tokens = parseTokens(text, file);
  if (mode & 0o004) tokens.warnings.unshift(`${file} is readable by every user: chmod 600 (or 640 with the service's group) so the tokens stay secret`);
  if (tokens.size === 0) tokens.warnings.unshift(`${file} holds no tokens: every post will be refused (401)`);
  return tokens;
}

/** The token of an `Authorization: Bearer TOKEN` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = header === undefined ? null : /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return m ? m[1] : undefined;
}
