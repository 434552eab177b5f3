/**
 * Reverse names for --resolve, without ever holding up the output.
 *
 * `name(addr)` answers at once with what is known (a name, or undefined) and,
 * for an address not seen before, starts a lookup in the background; the
 * answer is there for the next interval (or sooner: the live view listens
 * with `onName` and redraws when one arrives).
 *
 * Lookups go through the system's resolver, getnameinfo(3) via
 * `dns.promises.lookupService(addr, 0)`, rather than `dns.promises.reverse`:
 * getnameinfo follows nsswitch.conf, so /etc/hosts, NIS/LDAP, mDNS and
 * systemd-resolved give the names every other tool on the machine shows
 * (tcpdump, iptraf and ipband call the same libc resolver), while `reverse`
 * asks the DNS servers of resolv.conf directly for PTR records and knows
 * none of those. The price is that getnameinfo blocks one of libuv's
 * worker threads (4 unless UV_THREADPOOL_SIZE says otherwise) until the
 * resolver gives up, and those threads also read files and gunzip captures.
 * So at most `maxInFlight` lookups (2) run at a time, counted until
 * getnameinfo really returns, not until our timeout: a dead DNS server can
 * never take the threads the capture reading needs. After the timeout (2 s)
 * the address counts as unnamed and is asked again a minute later; glibc's
 * own wait is bounded to the same time through RES_OPTIONS, so the thread is
 * freed then too (a late answer is still taken).
 *
 * Memory is bounded: an LRU of `capacity` answers (4096), negative ones too,
 * so a flood of random sources neither grows the cache nor re-asks the
 * resolver about the addresses on screen; and a bounded queue of addresses
 * waiting for a free slot (the rows on screen are asked first, in order).
 */
import dns from 'node:dns';
import net from 'node:net';

export interface NameCacheOptions {
  /** Answers kept (names and "no name"), least recently used dropped first. */
  capacity?: number;
  /** Stop waiting for one lookup after this long (ms); the address counts as unnamed until `failedTtl`. */
  timeoutMs?: number;
  /** getnameinfo calls running at once (each holds a libuv worker thread until the resolver returns). */
  maxInFlight?: number;
  /** Addresses waiting for a free slot; beyond it they are asked again when next shown. */
  maxQueued?: number;
  /** How long answers are trusted (seconds): a name, a definite "no name", a timeout or error. */
  nameTtl?: number;
  negativeTtl?: number;
  failedTtl?: number;
}

export interface NameCacheStats {
  /** getnameinfo calls started, and how they ended. */
  lookups: number;
  named: number;
  unnamed: number;
  timedOut: number;
  /** Lookups still running in the thread pool (timed-out ones included until they return). */
  inFlight: number;
  queued: number;
  /** Answers dropped to stay within the capacity. */
  evicted: number;
}

interface Answer {
  /** undefined: no name (yet). */
  name: string | undefined;
  /** Date.now() after which the answer is asked again. */
  expires: number;
}

/**
 * A host name fit to be printed on a terminal and in a table: letters,
 * digits, `-`, `_` and dots, as hostnames are (RFC 952/1123, with the
 * underscore real zones use). A PTR record or a hosts file could carry
 * anything, escape sequences included; such an answer counts as no name.
 */
const HOSTNAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,251}[A-Za-z0-9_])?$/;

export class NameCache {
  readonly stats: NameCacheStats = { lookups: 0, named: 0, unnamed: 0, timedOut: 0, inFlight: 0, queued: 0, evicted: 0 };
  private readonly answers = new Map<string, Answer>();
  /** Addresses being looked up or queued: never asked twice at once. */
  private readonly pending = new Set<string>();
  private readonly queue: string[] = [];
  private readonly capacity: number;
  private readonly timeoutMs: number;
  private readonly maxInFlight: number;
  private readonly maxQueued: number;
  private readonly nameTtlMs: number;
  private readonly negativeTtlMs: number;
  private readonly failedTtlMs: number;
  private readonly nameListeners = new Set<(addr: string, name: string) => void>();
  private idleWaiters: (() => void)[] = [];

  constructor(opts: NameCacheOptions = {}) {
    this.capacity = Math.max(1, opts.capacity ?? 4096);
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.maxInFlight = Math.max(1, opts.maxInFlight ?? 2);
    this.maxQueued = Math.max(0, opts.maxQueued ?? 256);
    this.nameTtlMs = (opts.nameTtl ?? 3600) * 1000;
    this.negativeTtlMs = (opts.negativeTtl ?? 600) * 1000;
    this.failedTtlMs = (opts.failedTtl ?? 60) * 1000;
    // glibc's resolver waits 5 s per try and tries each server twice before
    // getnameinfo gives up, holding a worker thread all that time; RES_OPTIONS
    // (read by glibc when a thread first resolves) bounds that wait by ours.
    // An operator's own RES_OPTIONS is left alone.
    if (process.env.RES_OPTIONS === undefined) process.env.RES_OPTIONS = `timeout:${Math.max(1, Math.ceil(this.timeoutMs / 1000))} attempts:1`;
  }

  /**
   * The name of `addr` if it is known now, else undefined; an address not
   * asked about yet (or whose answer has expired) is looked up in the
   * background. Never waits. Text that is not an IP address has no name.
   */
  name(addr: string): string | undefined {
    const answer = this.answers.get(addr);
    if (answer !== undefined) {
      // most recently used goes to the end of the Map's order
      this.answers.delete(addr);
      this.answers.set(addr, answer);
      if (answer.expires > Date.now()) return answer.name;
      // stale: keep showing it while asking again
      this.request(addr);
      return answer.name;
    }
    this.request(addr);
    return undefined;
  }

  /** Call `listener` whenever a lookup brings a name (not for negative answers); returns the function that stops it. */
  onName(listener: (addr: string, name: string) => void): () => void {
    this.nameListeners.add(listener);
    return () => this.nameListeners.delete(listener);
  }

  /** Resolves once nothing is being looked up or waiting (tests, and a final frame that wants its names). */
  settled(): Promise<void> {
    if (this.stats.inFlight === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private request(addr: string): void {
    if (this.pending.has(addr) || net.isIP(addr) === 0) return;
    if (this.stats.inFlight < this.maxInFlight) {
      this.start(addr);
    } else if (this.queue.length < this.maxQueued) {
      this.pending.add(addr);
      this.queue.push(addr);
      this.stats.queued = this.queue.length;
    }
  }

  private start(addr: string): void {
    this.pending.add(addr);
    this.stats.lookups++;
    this.stats.inFlight++;
    let settled = false;
    const timer = setTimeout(() => {
      // stop counting on it: the address shows unnamed and is asked again after failedTtl;
      // the call itself keeps its slot until getnameinfo returns
      this.stats.timedOut++;
      if (!settled) this.remember(addr, undefined, this.failedTtlMs);
    }, this.timeoutMs);
    // a pending lookup must not keep a finished command alive
    timer.unref();
    dns.promises
      .lookupService(addr, 0)
      .then(
        ({ hostname }) => {
          const name = hostname.replace(/\.$/, '');
          // getnameinfo answers with the address itself when it has no name and may; that is no name
          if (HOSTNAME.test(name) && name !== addr) {
            this.stats.named++;
            this.remember(addr, name, this.nameTtlMs);
            for (const listener of this.nameListeners) listener(addr, name);
          } else {
            this.stats.unnamed++;
            this.remember(addr, undefined, this.negativeTtlMs);
          }
        },
        (err: NodeJS.ErrnoException) => {
          // ENOTFOUND: the resolver says there is no name; anything else (EAI_AGAIN, a dead server) may pass
          this.stats.unnamed++;
          this.remember(addr, undefined, err.code === 'ENOTFOUND' ? this.negativeTtlMs : this.failedTtlMs);
        },
      )
      .finally(() => {
        settled = true;
        clearTimeout(timer);
        this.stats.inFlight--;
        this.pending.delete(addr);
        this.next();
      });
  }

  private remember(addr: string, name: string | undefined, ttlMs: number): void {
    const previous = this.answers.get(addr);
    this.answers.delete(addr);
    // a failed refresh of a known name keeps the name: a resolver hiccup should not blank the table
    const kept = name ?? (ttlMs === this.failedTtlMs ? previous?.name : undefined);
    this.answers.set(addr, { name: kept, expires: Date.now() + ttlMs });
    while (this.answers.size > this.capacity) {
      const oldest = this.answers.keys().next().value as string;
      this.answers.delete(oldest);
      this.stats.evicted++;
    }
  }

  private next(): void {
    while (this.stats.inFlight < this.maxInFlight && this.queue.length > 0) {
      const addr = this.queue.shift()!;
      this.pending.delete(addr);
      this.start(addr);
    }
    this.stats.queued = this.queue.length;
    if (this.stats.inFlight === 0 && this.queue.length === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}
