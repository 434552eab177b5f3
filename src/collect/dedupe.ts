/**
 * Exactly once, from at-least-once: an uploader sends the batches of a
 * stream one at a time, oldest first, and retries until answered, so the
 * highest sequence number committed per stream is all it takes to know a
 * batch already taken (src/upload/protocol.ts). The last MAX_STREAMS streams
 * of a sensor are remembered (a stream is one run of trk-upload: 256 is
 * months of restarts); an older one is forgotten, and the ledger with it.
 */
export const MAX_STREAMS = 256;

export class StreamMemory {
  /** stream → highest committed seq, in order of last commit (a Map keeps insertion order). */
  private readonly seqs = new Map<string, number>();

  highest(stream: string): number | undefined {
    return this.seqs.get(stream);
  }

  record(stream: string, seq: number): void {
    this.seqs.delete(stream);
    this.seqs.set(stream, seq);
    if (this.seqs.size > MAX_STREAMS) this.seqs.delete(this.seqs.keys().next().value!);
  }

  /** Streams from least to most recently committed. */
  entries(): IterableIterator<[string, number]> {
    return this.seqs.entries();
  }
}

/**
 * Runs tasks one at a time per key, in the order they were given: a
 * sensor's batches commit (and reach stdout) in arrival order, while
 * different sensors go on in parallel.
 */
export class SerialQueues {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T> | T): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.then(task);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    // forget an idle key, so a sensor that went away costs nothing
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }

  /** Resolves once every task given so far has finished. */
  async idle(): Promise<void> {
    while (this.tails.size) await Promise.all([...this.tails.values()]);
  }
}
