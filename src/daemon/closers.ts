import type { Logger } from '../lib/logger.js';

/**
 * What a start-up has opened so far, closed in reverse order if the start fails part-way: a failed start
 * leaves no worker taking jobs, no listener holding its port and no connection open. A closer that fails
 * is logged and the others still run.
 */
export class Closers {
  readonly #closers: { readonly what: string; readonly close: () => Promise<void> | void }[] = [];
  readonly #log: Logger;

  constructor(log: Logger) {
    this.#log = log;
  }

  add(what: string, close: () => Promise<void> | void): void {
    this.#closers.push({ what, close });
  }

  async closeAll(): Promise<void> {
    for (const { what, close } of this.#closers.splice(0).reverse()) {
      try {
        await close();
      } catch (error) {
        this.#log.warn({ err: error, what }, 'closing what a failed start opened failed');
      }
    }
  }
}
