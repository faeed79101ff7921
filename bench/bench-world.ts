import { type Queue, QueueEvents } from 'bullmq';
import { type DestinationStream, pino } from 'pino';
import type { PolicyConfig, RotorConfig } from '../src/config/rotor-config.js';
import { openRedis } from '../src/daemon/redis-infrastructure.js';
import { type Daemon, startDaemon } from '../src/daemon/start-daemon.js';
import { createLogger } from '../src/lib/logger.js';
import { ROTATION_QUEUE } from '../src/queue/queue-name.js';
import { requestRotation } from '../src/queue/rotation-requests.js';
import { openProviderWorld, type ProviderWorld } from '../test/support/open-provider-world.js';
import type { ProviderFixture } from '../test/support/provider-fixture.js';
import { benchRedis } from './bench-redis.js';

export type { ProviderWorld } from '../test/support/open-provider-world.js';

/** The emulators (no added latency, no faults) and a Redis prefix of its own. */
export function openBenchWorld(
  redisUrl: string,
  starts: readonly (() => Promise<ProviderFixture>)[],
): Promise<ProviderWorld> {
  return openProviderWorld(benchRedis(redisUrl), starts);
}

/** An on-demand rotation of every policy, requested at once (as `rotor rotate` would); their job ids. */
export function requestAll(queue: Queue, policies: readonly PolicyConfig[]): Promise<string[]> {
  return Promise.all(
    policies.map(
      async (policy) => (await requestRotation(queue, policy, 'manual', { nowMs: Date.now() })).jobId,
    ),
  );
}

/**
 * `rotor start` in this process, logging at info into /dev/null as it would to stdout (sonic-boom, sync), or
 * into `destination` when a scenario reads the log lines.
 */
export function startRotor(
  config: RotorConfig,
  destination: DestinationStream = pino.destination({ dest: '/dev/null', sync: true }),
): Promise<Daemon> {
  return startDaemon(config, { log: createLogger({ level: 'info', destination }) });
}

/** Milliseconds from an on-demand rotation's request being enqueued to AWSCURRENT moving and to its job completing. */
export interface RotationTiming {
  readonly promote: number;
  readonly complete: number;
}

/**
 * Requests an on-demand rotation of `policy` (as `rotor rotate` would) and waits for it: when AWSCURRENT moved
 * (the emulator's UpdateSecretVersionStage) and when the job completed. One at a time: nothing else may move a
 * label meanwhile (the emulator's call log is cleared first; calls of other routes may go on).
 */
export async function timedRotation(
  world: ProviderWorld,
  queue: Queue,
  watch: CompletionWatch,
  policy: PolicyConfig,
): Promise<RotationTiming> {
  world.aws.server.calls.clear();
  const enqueuedAt = Date.now();
  const { jobId } = await requestRotation(queue, policy, 'manual', { nowMs: enqueuedAt });
  const { lastCompletedMs, failed } = await watch.all([jobId]);
  if (failed.length > 0) throw new Error(`rotation failed: ${failed.join('; ')}`);
  const promotedAt = world.aws.server.calls.handled('UpdateSecretVersionStage')[0]?.at;
  if (promotedAt === undefined) throw new Error('the rotation did not promote');
  return { promote: promotedAt - enqueuedAt, complete: lastCompletedMs - enqueuedAt };
}

/** When each job of a set completed, from the queue's event stream (Redis's clock), and which failed. */
export class CompletionWatch {
  readonly #events: QueueEvents;
  readonly #completedAt = new Map<string, number>();
  readonly #failed = new Map<string, string>();
  /** Each `all` call's jobs still outstanding; an event settles one job in each, not a scan of every id. */
  readonly #waiters = new Set<{ readonly pending: Set<string>; readonly done: () => void }>();

  private constructor(events: QueueEvents) {
    this.#events = events;
    const settle = (jobId: string) => {
      for (const waiter of this.#waiters) {
        if (waiter.pending.delete(jobId) && waiter.pending.size === 0) {
          this.#waiters.delete(waiter);
          waiter.done();
        }
      }
    };
    events.on('completed', ({ jobId }, id) => {
      this.#completedAt.set(jobId, Number(id.split('-')[0]));
      settle(jobId);
    });
    events.on('failed', ({ jobId, failedReason }) => {
      this.#failed.set(jobId, failedReason);
      settle(jobId);
    });
  }

  static async open(
    config: RotorConfig,
    queue: { readonly name: string; readonly prefix: string } = {
      name: ROTATION_QUEUE,
      prefix: config.redis.prefix,
    },
  ): Promise<CompletionWatch> {
    const events = new QueueEvents(queue.name, {
      connection: openRedis(config.redis),
      prefix: queue.prefix,
    });
    await events.waitUntilReady();
    return new CompletionWatch(events);
  }

  /** Resolves once every job of `ids` completed or failed: the last completion time and the failures. */
  async all(ids: readonly string[]): Promise<{ lastCompletedMs: number; failed: string[] }> {
    const pending = new Set(ids.filter((id) => !this.#completedAt.has(id) && !this.#failed.has(id)));
    if (pending.size > 0) await new Promise<void>((done) => this.#waiters.add({ pending, done }));
    let lastCompletedMs = Number.NEGATIVE_INFINITY;
    for (const id of ids)
      lastCompletedMs = Math.max(lastCompletedMs, this.#completedAt.get(id) ?? lastCompletedMs);
    return {
      lastCompletedMs,
      failed: ids.flatMap((id) => {
        const reason = this.#failed.get(id);
        return reason === undefined ? [] : [`${id}: ${reason}`];
      }),
    };
  }

  close(): Promise<void> {
    return this.#events.close();
  }
}
