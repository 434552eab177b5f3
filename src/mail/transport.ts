/**
 * The two ways trk-mail hands a message over: SMTP to a relay (nodemailer's
 * SMTP client: STARTTLS, AUTH, certificate checks), or a local MTA command
 * such as sendmail, run without a shell. Each attempt ends in a
 * DeliveryResult that tells the spool whether to try again (temporary) or
 * give the message up (permanent); neither ever throws.
 *
 * A private CA is trusted the way every Node program trusts one:
 * NODE_EXTRA_CA_CERTS=/path/ca.pem in the command's environment (read by
 * Node at start-up). --smtp-insecure turns certificate checks off instead.
 */
import { spawn } from 'node:child_process';
import nodemailer from 'nodemailer';
import { splitCommand } from '../threshold/mailer.js';
import type { DeliveryResult, OutgoingMail, Transport } from './types.js';

const CONNECT_TIMEOUT_MS = 10_000;
const GREETING_TIMEOUT_MS = 10_000;
const SOCKET_TIMEOUT_MS = 30_000;
/** How long an MTA command may take to accept a message. */
const SENDMAIL_TIMEOUT_MS = 60_000;
/** sysexits.h EX_TEMPFAIL: the MTA asks to be tried again later. */
const EX_TEMPFAIL = 75;

export interface SmtpOptions {
  /** --smtp-insecure: accept any certificate (self-signed, wrong name, expired). */
  insecure: boolean;
  /** Used when the URL names a user but no password (the command reads TRK_SMTP_PASS). */
  password?: string;
}

/** The parts of an smtp:// or smtps:// URL. Throws on a URL that is not one, with the reason. */
export function parseSmtpUrl(url: string): { secure: boolean; host: string; port: number; user?: string; pass?: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`'${url}' is not an SMTP URL (smtp://[user[:pass]@]host[:port] or smtps://…)`);
  }
  if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:') throw new Error(`'${u.protocol}' is not smtp: or smtps:`);
  if (u.hostname === '') throw new Error(`no host in '${url}'`);
  const secure = u.protocol === 'smtps:';
  const port = u.port === '' ? (secure ? 465 : 587) : Number(u.port);
  // URL keeps brackets round an IPv6 literal; the socket wants the address alone
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const user = u.username !== '' ? decodeURIComponent(u.username) : undefined;
  const pass = u.password !== '' ? decodeURIComponent(u.password) : undefined;
  return { secure, host, port, ...(user !== undefined ? { user } : {}), ...(pass !== undefined ? { pass } : {}) };
}

interface SmtpFailure {
  code?: string;
  responseCode?: number;
  response?: string;
  permanent?: boolean;
  originalCode?: string;
  timeoutType?: string;
  message?: string;
}

/** Certificate problems, which waiting will not cure but a fix to the configuration will. */
const CERT_ERROR = /certificate|self[- ]signed|CERT_|altname|unable to verify|unable to get local issuer/i;

/** How a failed SMTP attempt ends, and a reason an operator can act on. */
export function classifySmtpError(err: SmtpFailure): DeliveryResult {
  if (typeof err.responseCode === 'number') {
    const reply = (err.response ?? err.message ?? String(err.responseCode)).split(/\r?\n/)[0]!.trim();
    // 5xx is final, save 503 (bad sequence), which says the session went wrong, not the message
    const permanent = err.permanent ?? (err.responseCode >= 500 && err.responseCode !== 503);
    return { ok: false, permanent, reason: reply };
  }
  const message = (err.message ?? 'unknown error').split(/\r?\n/)[0]!;
  if (err.code === 'EAUTH') return { ok: false, permanent: true, reason: `authentication: ${message}` };
  if (CERT_ERROR.test(message) || (err.originalCode !== undefined && CERT_ERROR.test(err.originalCode))) {
    // Kept as temporary: the messages stay spooled and go once the operator trusts the CA and restarts.
    return {
      ok: false,
      permanent: false,
      reason: `certificate not trusted (${message}); trust its CA with NODE_EXTRA_CA_CERTS=FILE, or use --smtp-insecure`,
    };
  }
  const original = err.originalCode ?? err.code;
  const reason =
    original === 'ECONNREFUSED'
      ? 'connection refused'
      : original === 'ECONNRESET'
        ? 'connection reset'
        : original === 'EHOSTUNREACH' || original === 'ENETUNREACH'
          ? 'host unreachable'
          : original === 'ENOTFOUND' || original === 'EAI_AGAIN'
            ? 'host name not found'
            : err.code === 'ETIMEDOUT'
              ? `timed out (${(err.timeoutType ?? 'waiting').toLowerCase().replace(/_/g, ' ')})`
              : message;
  return { ok: false, permanent: false, reason };
}

/**
 * SMTP to a relay: smtp://[user[:pass]@]host[:port] (port 587, STARTTLS when
 * the server offers it) or smtps:// (port 465, TLS from the start).
 * Certificates are checked unless `insecure`. Throws only on a bad URL, when
 * the command starts; sending never throws.
 */
export function smtpTransport(url: string, o: SmtpOptions): Transport {
  const { secure, host, port, user, pass } = parseSmtpUrl(url);
  const password = pass ?? o.password;
  const transporter = nodemailer.createTransport({
    host,
    port,
    secure,
    // opportunistic STARTTLS: upgrade whenever the server offers it
    ignoreTLS: false,
    tls: { rejectUnauthorized: !o.insecure },
    ...(user !== undefined ? { auth: { user, pass: password ?? '' } } : {}),
    connectionTimeout: CONNECT_TIMEOUT_MS,
    greetingTimeout: GREETING_TIMEOUT_MS,
    socketTimeout: SOCKET_TIMEOUT_MS,
    logger: false,
    debug: false,
  });
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const describe = `${secure ? 'smtps' : 'smtp'}://${user !== undefined ? `${encodeURIComponent(user)}@` : ''}${shownHost}:${port}`;
  return {
    describe,
    async send(mail: OutgoingMail): Promise<DeliveryResult> {
      try {
        await transporter.sendMail({ envelope: { from: mail.from, to: mail.to }, raw: mail.raw });
        return { ok: true };
      } catch (err) {
        return classifySmtpError(err as SmtpFailure);
      }
    },
    close(): void {
      transporter.close();
    },
  };
}

/**
 * A local MTA: the command (default `/usr/sbin/sendmail -t -oi`) split into
 * words and run without a shell, the whole message on its standard input.
 * Exit 0 is delivered, 75 (EX_TEMPFAIL) try again, anything else final.
 */
export function sendmailTransport(command: string): Transport {
  const argv = splitCommand(command);
  const running = new Set<ReturnType<typeof spawn>>();
  return {
    describe: argv.join(' '),
    send(mail: OutgoingMail): Promise<DeliveryResult> {
      return new Promise((resolve) => {
        if (argv.length === 0) {
          resolve({ ok: false, permanent: true, reason: 'the mail command is empty' });
          return;
        }
        let settled = false;
        let stderr = '';
        let timedOut = false;
        const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'ignore', 'pipe'] });
        running.add(child);
        const timer = setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, SENDMAIL_TIMEOUT_MS);
        const done = (result: DeliveryResult): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          running.delete(child);
          resolve(result);
        };
        child.stderr!.setEncoding('utf8');
        child.stderr!.on('data', (d: string) => {
          if (stderr.length < 1000) stderr += d;
        });
        child.on('error', (err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT') {
            done({
              ok: false,
              permanent: true,
              reason: `${argv[0]} not found: install an MTA (e.g. apt-get install msmtp-mta or postfix), or send through a relay with --smtp`,
            });
          } else done({ ok: false, permanent: err.code !== 'EAGAIN', reason: `cannot run ${argv[0]}: ${err.message}` });
        });
        child.on('close', (code, signal) => {
          const firstLine = stderr.trim().split('\n')[0] ?? '';
          const said = firstLine ? `: ${firstLine}` : '';
          if (code === 0) done({ ok: true });
          else if (timedOut) done({ ok: false, permanent: false, reason: `${argv[0]} took more than ${SENDMAIL_TIMEOUT_MS / 1000} s` });
          else if (code === null) done({ ok: false, permanent: false, reason: `${argv[0]} killed by ${signal}` });
          else if (code === EX_TEMPFAIL) done({ ok: false, permanent: false, reason: `${argv[0]} exit 75 (try again later)${said}` });
          else done({ ok: false, permanent: true, reason: `${argv[0]} exit ${code}${said}` });
        });
        // an MTA that exits without reading its input must not take the process down with EPIPE
        child.stdin!.on('error', () => {});
        child.stdin!.end(mail.raw);
      });
    },
    close(): void {
      for (const child of running) child.kill('SIGTERM');
    },
  };
}
