import type { Redis } from 'ioredis';
import type { z } from 'zod';
import {
  type Confirmation,
  type ConsumerStateStore,
  type ConsumerStates,
  confirmationSchema,
  type HeldVersion,
  heldVersionSchema,
  type ReloadState,
  reloadStateSchema,
} from '../consumers/consumer-state.js';
import { LuaScript } from '../lib/lua-script.js';
import { stateKeys } from './redis-keys.js';

const FIELD = {
  confirm: (consumer: string) => `confirm:${consumer}`,
  reload: (consumer: string) => `reload:${consumer}`,
  held: (versionId: string) => `held:${versionId}`,
  runWaiting: 'run-waiting',
};

/** Sets the waiting run's due time unless an earlier (or equal) one is already waiting. */
const KEEP_EARLIEST = new LuaScript(`
local waiting = tonumber(redis.call('HGET', KEYS[1], ARGV[1]))
if waiting == nil or tonumber(ARGV[2]) < waiting then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return 0
`);

/**
 * One hash per policy: `confirm:<consumer>`, `reload:<consumer>` and `held:<versionId>` fields, each a JSON
 * document. A field that does not parse is left out (as if never written: the revoke waits, the hold is at AWS).
 */
export class RedisConsumerStates implements ConsumerStateStore {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  async read(policyId: string): Promise<ConsumerStates> {
    return statesOf(await this.#redis.hgetall(this.#key(policyId)));
  }

  async readMany(policyIds: readonly string[]): Promise<Map<string, ConsumerStates>> {
    const pipeline = this.#redis.pipeline();
    for (const policyId of policyIds) pipeline.hgetall(this.#key(policyId));
    const answers = (await pipeline.exec()) ?? [];
    const states = new Map<string, ConsumerStates>();
    answers.forEach(([error, fields], index) => {
      const policyId = policyIds[index];
      if (policyId === undefined || error !== null) return;
      states.set(policyId, statesOf(fields as Record<string, string>));
    });
    return states;
  }

  async confirm(policyId: string, consumer: string, confirmation: Confirmation): Promise<void> {
    await this.#redis.hset(this.#key(policyId), FIELD.confirm(consumer), JSON.stringify(confirmation));
  }

  async reloaded(policyId: string, consumer: string, state: ReloadState): Promise<void> {
    await this.#redis.hset(this.#key(policyId), FIELD.reload(consumer), JSON.stringify(state));
  }

  async hold(policyId: string, held: HeldVersion): Promise<void> {
    await this.#redis.hset(this.#key(policyId), FIELD.held(held.versionId), JSON.stringify(held));
  }

  async release(policyId: string, versionId: string): Promise<number | undefined> {
    const key = this.#key(policyId);
    // One command when the version was not held (most revokes): nothing else can have changed.
    if ((await this.#redis.hdel(key, FIELD.held(versionId))) === 0) return undefined;
    const states = await this.read(policyId);
    if (states.held.length > 0 || states.runWaitingDueMs === undefined) return undefined;
    // Two replicas may both take it: the run id of its due time makes the second request join the first.
    await this.#redis.hdel(key, FIELD.runWaiting);
    return states.runWaitingDueMs;
  }

  async holdRun(policyId: string, dueMs: number): Promise<void> {
    // One run however many firings waited: the earliest, whatever order they came in (replicas, a before-expiry timer).
    await KEEP_EARLIEST.run(this.#redis, [this.#key(policyId)], [FIELD.runWaiting, String(dueMs)]);
  }

  #key(policyId: string): string {
    return stateKeys.consumers(this.#prefix, policyId);
  }
}

function statesOf(fields: Record<string, string>): ConsumerStates {
  const confirmations = new Map<string, Confirmation>();
  const reloads = new Map<string, ReloadState>();
  const held: HeldVersion[] = [];
  let runWaitingDueMs: number | undefined;
  for (const [field, text] of Object.entries(fields)) {
    if (field === FIELD.runWaiting) {
      const dueMs = Number(text);
      if (Number.isSafeInteger(dueMs) && dueMs >= 0) runWaitingDueMs = dueMs;
      continue;
    }
    const colon = field.indexOf(':');
    const kind = field.slice(0, colon);
    const name = field.slice(colon + 1);
    if (kind === 'confirm') put(confirmations, name, parsed(confirmationSchema, text));
    else if (kind === 'reload') put(reloads, name, parsed(reloadStateSchema, text));
    else if (kind === 'held') {
      const version = parsed(heldVersionSchema, text);
      if (version) held.push(version);
    }
  }
  held.sort((a, b) => a.since - b.since);
  return { confirmations, reloads, held, ...(runWaitingDueMs === undefined ? {} : { runWaitingDueMs }) };
}

function put<T>(map: Map<string, T>, key: string, value: T | undefined): void {
  if (value !== undefined) map.set(key, value);
}

function parsed<T>(schema: z.ZodType<T>, text: string): T | undefined {
  try {
    const result = schema.safeParse(JSON.parse(text));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}
