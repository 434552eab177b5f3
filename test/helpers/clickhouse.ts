/**
 * A private ClickHouse server for a test: Debian's clickhouse-server run as
 * a child process with its own config in a temp directory (127.0.0.1 only,
 * free ports, its own data/tmp/log paths; the system service is never
 * touched), stopped at the end. It runs as root as it is; any other user
 * runs it as itself, since the data directory is its own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';

export const CLICKHOUSE_SERVER = '/usr/sbin/clickhouse-server';

/** A reason to skip ClickHouse tests, or false when the server is installed. */
export function clickhouseUnavailable(): string | false {
  if (!existsSync(CLICKHOUSE_SERVER)) {
    return 'clickhouse-server is not installed (apt-get install --no-install-recommends clickhouse-server): the ClickHouse target is checked against a real server only';
  }
  return false;
}

export interface Clickhouse {
  url: URL;
  /** Runs one statement over HTTP; rejects with ClickHouse's message on an error. */
  query(sql: string): Promise<string>;
  stop(): Promise<void>;
}

/** A free TCP port on loopback (closed again at once: the server binds it a moment later). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** POST to the server as trk-upload's sender does (the URL's path and query, then the request's path); the status and the body. */
export function post(url: URL, path: string, headers: Record<string, string>, body: Buffer | string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url.origin + url.pathname + url.search + path);
    const req = request(target, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('ClickHouse did not answer in 30 s')));
    req.on('error', reject);
    req.end(body);
  });
}

export async function startClickhouse(users: { name: string; password: string }[] = []): Promise<Clickhouse> {
  const dir = await mkdtemp(join(tmpdir(), 'trk-clickhouse-'));
  const [httpPort, tcpPort] = [await freePort(), await freePort()];
  const userXml = [{ name: 'default', password: '' }, ...users]
    .map((u) => `<${u.name}><password>${u.password}</password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></${u.name}>`)
    .join('\n    ');
  await writeFile(
    join(dir, 'config.xml'),
    `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>${dir}/log/server.log</log><errorlog>${dir}/log/error.log</errorlog></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>${httpPort}</http_port>
  <tcp_port>${tcpPort}</tcp_port>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <user_files_path>${dir}/user_files/</user_files_path>
  <format_schema_path>${dir}/format_schemas/</format_schema_path>
  <mark_cache_size>67108864</mark_cache_size>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
  <users_config>${dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mlock_executable>false</mlock_executable>
</yandex>
`,
  );
  await writeFile(
    join(dir, 'users.xml'),
    `<?xml version="1.0"?>
<yandex>
  <profiles><default></default></profiles>
  <users>
    ${userXml}
  </users>
  <quotas><default></default></quotas>
</yandex>
`,
  );
  const child: ChildProcess = spawn(CLICKHOUSE_SERVER, [`--config-file=${join(dir, 'config.xml')}`], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  let exited = false;
  child.on('exit', () => (exited = true));
  const url = new URL(`http://127.0.0.1:${httpPort}/`);
  const ping = (): Promise<boolean> =>
    new Promise((resolve) => {
      const req = request(new URL('/ping', url), { timeout: 1000 }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('error', () => resolve(false));
      req.on('timeout', () => req.destroy());
      req.end();
    });
  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill('SIGTERM');
      if (!(await waitFor(() => exited, 15_000))) {
        child.kill('SIGKILL');
        await waitFor(() => exited, 5_000);
      }
    }
    await rm(dir, { recursive: true, force: true });
  };
  await waitFor(async () => exited || (await ping()), 30_000);
  if (exited || !(await ping())) {
    const log = await readFile(join(dir, 'log', 'error.log'), 'utf8').catch(() => '');
    await stop();
    throw new Error(`clickhouse-server did not start: ${(stderr + log).trim().split('\n').slice(-5).join(' | ')}`);
  }
  const query = async (sql: string): Promise<string> => {
    const answer = await post(url, '', {}, sql);
    if (answer.status !== 200) throw new Error(`ClickHouse ${answer.status}: ${answer.body.trim()} (for ${sql.slice(0, 80)})`);
    return answer.body;
  };
  return { url, query, stop };
}

/** A .sql file's statements: comment lines left out, split at the ';' that ends a line. */
export function sqlStatements(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => !/^\s*--/.test(line))
    .join('\n')
    .split(/;\s*$/m)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** The statement after `-- name: NAME` in queries.sql. */
export function namedQuery(text: string, name: string): string {
  const at = text.indexOf(`-- name: ${name}\n`);
  if (at < 0) throw new Error(`no query named ${name}`);
  const statement = sqlStatements(text.slice(at))[0];
  if (statement === undefined) throw new Error(`query ${name} is empty`);
  return statement;
}

/** Polls until done() says so or timeoutMs has passed; false then. */
async function waitFor(done: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  for (const until = Date.now() + timeoutMs; Date.now() < until; ) {
    if (await done()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}
