import { defaultRepeatStrategy, type RepeatOptions } from 'bullmq';

/** Patterns (with their time zone) remembered at once; the oldest is forgotten first. */
const DEFAULT_CAPACITY = 10_000;

type NextOccurrence = (millis: number, opts: RepeatOptions) => number | undefined;

interface KnownGap {
  /** A time from which the next occurrence was computed... */
  fromMs: number;
  /** ...and that occurrence: none falls in between. */
  readonly nextMs: number;
}

/**
 * The next occurrence of a cron pattern after a time, as BullMQ's default strategy computes it, remembering
 * for each pattern and time zone the last gap it found. BullMQ asks once per scheduler per firing; when
 * thousands of schedulers share a pattern (a fleet rotating nightly), they all ask about the same gap, and
 * parsing the pattern again for each (a tenth of a millisecond warm, far more in a process just started)
 * cost the daemon as much CPU as its own bookkeeping for the rotation the trigger starts. The next occurrence
 * is strictly after the time asked about, so an answer holds for any time from the one asked about up to it.
 */
export class CronOccurrences {
  readonly #gaps = new Map<string, KnownGap>();
  readonly #capacity: number;
  readonly #compute: NextOccurrence;

  constructor(options: { readonly capacity?: number; readonly compute?: NextOccurrence } = {}) {
    this.#capacity = options.capacity ?? DEFAULT_CAPACITY;
    this.#compute = options.compute ?? defaultRepeatStrategy;
  }

  next(millis: number, opts: RepeatOptions): number | undefined {
    // Only a plain pattern and time zone name a gap; other options move or bound the answer.
    if (
      opts.pattern === undefined ||
      opts.every !== undefined ||
      opts.startDate !== undefined ||
      opts.endDate !== undefined ||
      opts.immediately
    ) {
      return this.#compute(millis, opts);
    }
    const key = `${opts.tz ?? ''}\n${opts.pattern}`;
    const gap = this.#gaps.get(key);
    if (gap && gap.fromMs <= millis && millis < gap.nextMs) return gap.nextMs;
    const nextMs = this.#compute(millis, opts);
    if (nextMs === undefined || !(nextMs > millis)) return nextMs;
    if (gap && gap.nextMs === nextMs) {
      gap.fromMs = Math.min(gap.fromMs, millis);
      return nextMs;
    }
    this.#gaps.delete(key);
    if (this.#gaps.size >= this.#capacity) {
      const oldest = this.#gaps.keys().next();
      if (!oldest.done) this.#gaps.delete(oldest.value);
    }
    this.#gaps.set(key, { fromMs: millis, nextMs });
    return nextMs;
  }
}
