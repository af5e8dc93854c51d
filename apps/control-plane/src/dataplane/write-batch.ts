/**
 * Coalesces many small store writes into one: items added within `windowMs` of each other (and those added
 * while a flush runs) are written together by `flush`, one flush at a time. Each `add` resolves once its
 * item is written. When a batch fails, its items are retried one by one, so one bad item (a proxy removed
 * meanwhile) fails only its own caller.
 */
export class WriteBatch<T> {
  #pending: { item: T; resolve: () => void; reject: (error: unknown) => void }[] = [];
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;

  constructor(
    private readonly flush: (items: T[]) => Promise<void>,
    private readonly windowMs = 2,
  ) {}

  add(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#timer || this.#flushing) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#flushing = this.#flushPending().finally(() => {
        this.#flushing = undefined;
        if (this.#pending.length > 0) this.#schedule();
      });
    }, this.windowMs);
  }

  async #flushPending(): Promise<void> {
    const batch = this.#pending.splice(0);
    try {
      await this.flush(batch.map((entry) => entry.item));
      for (const entry of batch) entry.resolve();
    } catch (error) {
      if (batch.length === 1) return void batch[0]?.reject(error);
      for (const entry of batch) {
        await this.flush([entry.item]).then(entry.resolve, entry.reject);
      }
    }
  }
}
