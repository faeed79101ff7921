import { z } from 'zod';

export const faultSchema = z.discriminatedUnion('kind', [
  /** Answer with this status and the emulator's own error body for it. */
  z.strictObject({ kind: z.literal('status'), status: z.number().int().min(400).max(599) }),
  /** Answer 429 (or the vendor's throttling error) with Retry-After. */
  z.strictObject({ kind: z.literal('rate-limit'), retryAfterSeconds: z.number().int().min(0) }),
  /** Wait before handling the request normally. */
  z.strictObject({ kind: z.literal('delay'), delayMs: z.number().int().min(0).max(600_000) }),
  /**
   * Handle the request (its effect happens), then hold the answer: a client that gives up or dies meanwhile
   * never learns the outcome, as when a response is lost on the way back.
   */
  z.strictObject({ kind: z.literal('hold-response'), delayMs: z.number().int().min(0).max(600_000) }),
  /** Answer 200 with a body that is not what the API documents. */
  z.strictObject({ kind: z.literal('malformed') }),
  /** Destroy the connection without answering. */
  z.strictObject({ kind: z.literal('drop') }),
  /**
   * Answer this status with the vendor's error body whose message quotes the request's credentials back, raw
   * and encoded (see echo-credentials.ts): a careless vendor. `from` picks where in the request to look, in
   * order (default: headers, body, path).
   */
  z.strictObject({
    kind: z.literal('echo-credentials'),
    status: z.number().int().min(400).max(599),
    from: z
      .array(z.enum(['headers', 'body', 'path']))
      .min(1)
      .optional(),
  }),
]);
export type Fault = z.infer<typeof faultSchema>;

export const faultRuleSchema = z.strictObject({
  /** The emulator's route id (e.g. `rotateServiceToken`, `PutSecretValue`), or `*` for every route. */
  route: z.string().min(1),
  fault: faultSchema,
  /** How many matching requests the fault applies to; absent = until cleared. */
  times: z.number().int().positive().optional(),
});
export type FaultRule = z.infer<typeof faultRuleSchema>;

interface ActiveRule {
  readonly route: string;
  readonly fault: Fault;
  remaining: number | undefined;
}

/** Faults to inject, per route, consumed in the order they were added. */
export class FaultPlan {
  readonly #rules: ActiveRule[] = [];

  add(rule: FaultRule): void {
    const parsed = faultRuleSchema.parse(rule);
    this.#rules.push({ route: parsed.route, fault: parsed.fault, remaining: parsed.times });
  }

  /** Removes every fault, or only those of one route. */
  clear(route?: string): void {
    for (let i = this.#rules.length - 1; i >= 0; i--) {
      if (route === undefined || this.#rules[i]?.route === route) this.#rules.splice(i, 1);
    }
  }

  /** The fault for this request, if any; counts it against the rule's `times`. */
  take(routeId: string): Fault | undefined {
    const index = this.#rules.findIndex((rule) => rule.route === routeId || rule.route === '*');
    const rule = this.#rules[index];
    if (!rule) return undefined;
    if (rule.remaining !== undefined) {
      rule.remaining -= 1;
      if (rule.remaining <= 0) this.#rules.splice(index, 1);
    }
    return rule.fault;
  }

  list(): FaultRule[] {
    return this.#rules.map((rule) => ({
      route: rule.route,
      fault: rule.fault,
      ...(rule.remaining === undefined ? {} : { times: rule.remaining }),
    }));
  }
}
