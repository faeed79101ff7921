import { z } from 'zod';

/** A vendor's documented request quota, as an emulator can enforce it. */
export const quotaRuleSchema = z.strictObject({
  /** Stable name, e.g. `writes` (AWS) or `api` (Cloudflare): overrides and the control route use it. */
  name: z.string().min(1),
  /** Route ids the quota counts together, or `*` for every route of the API. */
  routes: z.union([z.literal('*'), z.array(z.string().min(1)).min(1)]),
  requests: z.number().int().positive(),
  perMs: z.number().int().positive(),
  /** Whether the vendor's throttling answer tells the wait (Retry-After); AWS's does not. */
  retryAfter: z.boolean(),
});
export type QuotaRule = z.infer<typeof quotaRuleSchema>;

/** A change to one documented quota: a smaller window for a quick benchmark, a test account's limit. */
export const quotaOverrideSchema = z.strictObject({
  name: z.string().min(1),
  requests: z.number().int().positive().optional(),
  perMs: z.number().int().positive().optional(),
});
export type QuotaOverride = z.infer<typeof quotaOverrideSchema>;

export const quotaSettingsSchema = z.strictObject({
  enforce: z.boolean(),
  overrides: z.array(quotaOverrideSchema).default([]),
});
export type QuotaSettings = z.input<typeof quotaSettingsSchema>;

export interface QuotaStatus {
  readonly name: string;
  readonly routes: QuotaRule['routes'];
  readonly requests: number;
  readonly perMs: number;
  /** Requests the quota let through and refused since enforcement was (re)set. */
  readonly admitted: number;
  readonly throttled: number;
}

/** Refused: the vendor's throttling answer, with how long until the quota has room again. */
export interface Throttled {
  readonly rule: string;
  readonly waitMs: number;
  readonly retryAfter: boolean;
}

/** Request times inside the rule's window, oldest first (a sliding log, as the vendors count). */
class SlidingLog {
  readonly #times: number[] = [];
  #head = 0;

  count(now: number, perMs: number): number {
    while (this.#head < this.#times.length && (this.#times[this.#head] ?? 0) <= now - perMs) this.#head += 1;
    if (this.#head > 1024 && this.#head * 2 > this.#times.length) {
      this.#times.splice(0, this.#head);
      this.#head = 0;
    }
    return this.#times.length - this.#head;
  }

  /** When the oldest counted request leaves the window. */
  freesAt(perMs: number): number {
    return (this.#times[this.#head] ?? 0) + perMs;
  }

  add(now: number): void {
    this.#times.push(now);
  }
}

interface ActiveQuota {
  readonly rule: QuotaRule;
  readonly log: SlidingLog;
  admitted: number;
  throttled: number;
}

/**
 * The quotas an emulator documents, enforced only when switched on (tests and the demo run without them;
 * benchmarks and quota tests turn them on, with scaled windows where they need to be quick).
 */
export class QuotaPlan {
  readonly #documented: readonly QuotaRule[];
  #active: ActiveQuota[] = [];

  constructor(documented: readonly QuotaRule[]) {
    this.#documented = documented;
  }

  /** Switches enforcement on or off; counts start again from zero either way. */
  configure(settings: QuotaSettings): void {
    const { enforce, overrides } = quotaSettingsSchema.parse(settings);
    const unknown = overrides.filter(
      (override) => !this.#documented.some((rule) => rule.name === override.name),
    );
    if (unknown.length > 0) {
      const names = this.#documented.map((rule) => rule.name).join(', ') || 'none';
      throw new Error(`no quota named ${unknown.map((o) => o.name).join(', ')}; this emulator has: ${names}`);
    }
    this.#active = enforce
      ? this.#documented.map((rule) => {
          const override = overrides.find((candidate) => candidate.name === rule.name);
          return {
            rule: {
              ...rule,
              ...(override?.requests ? { requests: override.requests } : {}),
              ...(override?.perMs ? { perMs: override.perMs } : {}),
            },
            log: new SlidingLog(),
            admitted: 0,
            throttled: 0,
          };
        })
      : [];
  }

  get enforced(): boolean {
    return this.#active.length > 0;
  }

  /** Counts a request to `routeId` at `now`; a Throttled when a quota it falls under is used up. */
  admit(routeId: string, now: number): Throttled | undefined {
    const matching = this.#active.filter(({ rule }) => rule.routes === '*' || rule.routes.includes(routeId));
    const full = matching.find(({ rule, log }) => log.count(now, rule.perMs) >= rule.requests);
    if (full) {
      full.throttled += 1;
      return {
        rule: full.rule.name,
        waitMs: Math.max(full.log.freesAt(full.rule.perMs) - now, 1),
        retryAfter: full.rule.retryAfter,
      };
    }
    for (const quota of matching) {
      quota.log.add(now);
      quota.admitted += 1;
    }
    return undefined;
  }

  /** The documented quotas, with the enforced values and counts when enforcement is on. */
  list(): QuotaStatus[] {
    if (this.#active.length === 0) {
      return this.#documented.map((rule) => ({ ...statusOf(rule), admitted: 0, throttled: 0 }));
    }
    return this.#active.map(({ rule, admitted, throttled }) => ({ ...statusOf(rule), admitted, throttled }));
  }
}

function statusOf(rule: QuotaRule): Omit<QuotaStatus, 'admitted' | 'throttled'> {
  return { name: rule.name, routes: rule.routes, requests: rule.requests, perMs: rule.perMs };
}
