/**
 * The delivery loop that trk-mail's messages and trk-upload's batches share:
 * a spool is sent oldest first, one pass at a time; a temporary failure ends
 * the pass and the next one starts after a backoff — from minBackoffMs
 * doubling up to maxBackoffMs, ±jitter at random so that many senders back
 * from the same outage do not knock in step, or as long as the server asked
 * — so while the oldest waits for its retry, the rest wait behind it and the
 * order holds. The operator hears once when the destination goes away and
 * once when it is back, not at every retry.
 *
 * A subclass writes pass(): send until the spool is empty (then emptied())
 * or until a temporary failure (then waitForRetry()), calling recovered()
 * after each item that left the spool.
 */

export interface BackoffOptions {
  /** The first wait after a temporary failure. */
  minBackoffMs: number;
  /** The longest. */
  maxBackoffMs: number;
  /** ±share of each wait drawn at random (0.2). */
  jitter: number;
  /** A Retry-After beyond this is a misconfigured server, not a plan. */
  retryAfterMaxMs?: number;
  warn(message: string): void;
}

export abstract class RetryingSender {
  private running = false;
  private kickedWhileRunning = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private delay: number;
  /** The problem of the outage being waited out; undefined while delivery goes well. */
  private outage: string | undefined;
  private readonly emptyWaiters = new Set<() => void>();
  protected closed = false;

  constructor(private readonly backoff: BackoffOptions) {
    this.delay = backoff.minBackoffMs;
  }

  /** Send what is spooled, in order, until it is empty (emptied()) or a temporary failure (waitForRetry()). */
  protected abstract pass(): Promise<void>;

  /** Where the spool is, for the notes. */
  protected abstract readonly spoolDir: string;

  /**
   * Start a pass now, unless one is under way (then another follows it, for
   * what was spooled meanwhile) or a retry is waiting out its time (then what
   * is new waits behind the oldest). Returns at once.
   */
  kick(): void {
    if (this.closed || this.retryTimer !== undefined) return;
    if (this.running) {
      this.kickedWhileRunning = true;
      return;
    }
    this.running = true;
    this.kickedWhileRunning = false;
    void this.pass()
      .catch((err: Error) => {
        // the spool itself failed (disk full, removed, permissions): say so and try again later
        this.waitForRetry(`spool ${this.spoolDir}: ${err.message}`, 'what is');
      })
      .finally(() => {
        this.running = false;
        if (this.kickedWhileRunning) this.kick();
      });
  }

  /** Try now, without waiting out the backoff (the operator may have fixed what was wrong). */
  retryNow(): void {
    if (this.retryTimer === undefined) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.kick();
  }

  /** The spool is empty: whoever waits in drain() may go. */
  protected emptied(): void {
    for (const f of [...this.emptyWaiters]) f();
  }

  /**
   * Something left the spool: the destination answers. After an outage, say
   * so once (`left`: what is still waiting, "3 messages", or undefined for
   * nothing), and start the backoff afresh.
   */
  protected recovered(describe: string, left: string | undefined): void {
    this.delay = this.backoff.minBackoffMs;
    if (this.outage === undefined) return;
    this.outage = undefined;
    this.backoff.warn(`${describe}: delivering again` + (left === undefined ? '' : `; ${left} still spooled`));
  }

  /**
   * A temporary failure: the pass ends here, and the next starts after the
   * backoff, or after `retryAfterMs` when the server asked for that. The
   * first of an outage is said with what waits (`waiting`: "3 messages").
   */
  protected waitForRetry(problem: string, waiting: string, retryAfterMs?: number): void {
    if (this.outage === undefined) {
      this.outage = problem;
      this.backoff.warn(`${problem}; ${waiting} spooled in ${this.spoolDir}, retrying`);
    }
    const { jitter, maxBackoffMs, retryAfterMaxMs = 3600_000 } = this.backoff;
    const wait = retryAfterMs !== undefined ? Math.min(retryAfterMs, retryAfterMaxMs) : this.delay * (1 + jitter * (2 * Math.random() - 1));
    this.delay = Math.min(maxBackoffMs, this.delay * 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.kick();
    }, wait);
    // a waiting retry must not keep the process alive on its own: drain() decides how long to wait at the end
    this.retryTimer.unref();
  }

  /**
   * Send what is spooled, waiting at most timeoutMs or until `cut` (a retry
   * waiting out its backoff goes at once). The subclass says what is left.
   */
  protected async waitUntilEmpty(timeoutMs: number, cut?: AbortSignal): Promise<void> {
    if (this.retryTimer !== undefined) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
    await new Promise<void>((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.emptyWaiters.delete(finish);
        cut?.removeEventListener('abort', finish);
        resolve();
      };
      const timer = setTimeout(finish, timeoutMs);
      cut?.addEventListener('abort', finish, { once: true });
      this.emptyWaiters.add(finish);
      if (cut?.aborted) finish();
      else this.kick();
    });
  }

  /** Stop: no further attempts (a send under way finishes, unless the subclass cuts it). */
  close(): void {
    this.closed = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.emptied();
  }
}
