/**
 * Runs `work` on request, never twice at once. A request during a run gets one more run after it, however many
 * requests arrive meanwhile; the returned promise settles after a run that started after the request.
 */
export class CoalescedTask {
  #running: Promise<void> | undefined;
  #again = false;

  constructor(private readonly work: () => Promise<void>) {}

  request(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#loop().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #loop(): Promise<void> {
    do {
      this.#again = false;
      await this.work();
    } while (this.#again);
  }
}
