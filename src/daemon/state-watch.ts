import type { AlertSink } from '../alerts/alert-publisher.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { GenerationMarker } from '../state/generation-marker.js';

/** How often every replica checks that Redis still holds rotor's state (also on every reconnect). */
export const STATE_CHECK_EVERY_MS = 10_000;

export interface StateWatchOptions {
  readonly marker: GenerationMarker;
  /** The Redis and prefix, as the log and the alert name them (never a password). */
  readonly where: string;
  readonly log: Logger;
  readonly clock: Clock;
  readonly alerts?: AlertSink;
  /** Re-reconciles schedules and timers and rebuilds records from AWS. */
  readonly recover: () => Promise<void>;
}

/**
 * Notices when Redis has lost rotor's state under a running daemon — the generation marker gone or
 * replaced — says so once (a log line on every replica; `state.lost` from the replica that writes the new
 * marker), and runs the recovery, during which `recovering()` says why the daemon is not ready.
 */
export class StateWatch {
  readonly #options: StateWatchOptions;
  #known: string | undefined;
  #recovering: string | undefined;
  #checking: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: StateWatchOptions) {
    this.#options = options;
  }

  /** Claims the marker at start; true when Redis had none (a first start, or Redis forgot while rotor was down). */
  async start(): Promise<boolean> {
    const generation = await this.#options.marker.claim();
    this.#known = generation.id;
    this.#timer = setInterval(() => void this.check(), STATE_CHECK_EVERY_MS);
    this.#timer.unref();
    return generation.fresh;
  }

  /** Why rotor's state is being rebuilt, or undefined. */
  recovering(): string | undefined {
    return this.#recovering;
  }

  /** Checks the marker now (the interval and every reconnect call this); one check at a time. */
  check(): Promise<void> {
    this.#checking ??= this.#check().finally(() => {
      this.#checking = undefined;
    });
    return this.#checking;
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async #check(): Promise<void> {
    const { marker, log, where } = this.#options;
    let stored: string | null;
    try {
      stored = await marker.read();
    } catch {
      return; // Redis unreachable: readiness says so; the reconnect checks again.
    }
    if (stored === this.#known) return;
    const lost = this.#known;
    const generation = await marker.claim();
    this.#known = generation.id;
    const reason = `Redis ${where} lost rotor's state (generation ${lost} is ${stored === null ? 'gone' : `replaced by ${stored}`}): schedules, timers, run records, journal and queued jobs`;
    this.#recovering = reason;
    log.error({ redis: where, lostGeneration: lost, generation: generation.id }, reason);
    try {
      if (generation.fresh && this.#options.alerts) {
        await this.#options.alerts.publish({
          type: 'state.lost',
          error: { kind: 'state-lost', message: reason },
          details: { redis: where, lostGeneration: lost ?? '', generation: generation.id },
        });
      }
      await this.#options.recover();
      log.info({ redis: where, generation: generation.id }, 'rotor state recovered: schedules resumed');
    } catch (error) {
      log.error({ err: error, redis: where }, 'recovering rotor state failed; the next check tries again');
      // Forget the generation so the next check runs the recovery again.
      this.#known = undefined;
    } finally {
      this.#recovering = undefined;
    }
  }
}
