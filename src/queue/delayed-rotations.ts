import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

/**
 * The rotation jobs added to start later (a jitter offset, or waiting for the policy's windows), by start
 * time: what a reload may have to move, found without listing BullMQ's whole delayed set, where a fleet's
 * schedule triggers wait too (100,000 policies, 100,000 triggers). Entries for jobs that have since run are
 * dropped when met, and an hour after their start at the latest.
 */
const INDEX = 'delayed-rotations';
const KEPT_AFTER_START_MS = 60 * 60_000;

/** The queue's own connection: BullMQ's Redis backend hands out the ioredis client rotor gave it. */
async function clientOf(queue: Queue): Promise<Redis> {
  return (await queue.getBackend().client) as unknown as Redis;
}

export async function indexDelayedRotation(
  queue: Queue,
  jobId: string,
  startsAtMs: number,
  nowMs: number,
): Promise<void> {
  const client = await clientOf(queue);
  const key = queue.toKey(INDEX);
  await client
    .pipeline()
    .zadd(key, startsAtMs, jobId)
    .zremrangebyscore(key, '-inf', nowMs - KEPT_AFTER_START_MS)
    .exec();
}

export async function delayedRotationIds(queue: Queue): Promise<string[]> {
  const client = await clientOf(queue);
  return client.zrange(queue.toKey(INDEX), 0, -1);
}

export async function forgetDelayedRotations(queue: Queue, jobIds: readonly string[]): Promise<void> {
  if (jobIds.length === 0) return;
  const client = await clientOf(queue);
  await client.zrem(queue.toKey(INDEX), ...jobIds);
}
