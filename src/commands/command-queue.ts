import { QueueEvents } from 'bullmq';
import { configRedactor } from '../config/config-secrets.js';
import type { RotorConfig } from '../config/rotor-config.js';
import { connectRedis, type RedisInfrastructure } from '../daemon/redis-infrastructure.js';
import { ROTATION_QUEUE } from '../queue/queue-name.js';
import { CommandFailure } from './load-config-for-command.js';

/** The daemon's queue as a CLI request uses it; with `wait`, it listens for the requested job's outcome. */
export interface CommandQueue {
  readonly infra: RedisInfrastructure;
  /** Whether the command was opened to wait for its job. */
  readonly waits: boolean;
  /**
   * The job's return value once it completes. Its failure (as a daemon stored it, redacted of the config's
   * secrets, whoever wrote it) or a timeout is a CommandFailure (exit 1) starting with `failed`.
   */
  finished(jobId: string, timeoutMs: number, failed: string): Promise<unknown>;
  close(): Promise<void>;
}

export async function openCommandQueue(config: RotorConfig, wait: boolean): Promise<CommandQueue> {
  const infra = connectRedis(config);
  // BullMQ leaves a connection it was handed open on close(); this one is ours to disconnect.
  const eventsConnection = wait ? infra.blockingConnection() : undefined;
  const events = eventsConnection
    ? new QueueEvents(ROTATION_QUEUE, { connection: eventsConnection, prefix: config.redis.prefix })
    : undefined;
  events?.on('error', (error) => infra.reachability.failed(error));
  const close = async () => {
    await events?.close();
    eventsConnection?.disconnect();
    await infra.close();
  };
  try {
    // Listening before the request is made, so that its outcome cannot come first.
    await events?.waitUntilReady();
  } catch (error) {
    await close();
    throw error;
  }
  return {
    infra,
    waits: events !== undefined,
    async finished(jobId, timeoutMs, failed) {
      if (!events) throw new Error('the command queue was not opened to wait');
      const job = await infra.queue.getJob(jobId);
      if (!job) throw new CommandFailure(`${jobId} disappeared before it finished`, 1);
      try {
        return await job.waitUntilFinished(events, timeoutMs);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new CommandFailure(configRedactor(config).redact(`${failed}: ${reason}`), 1);
      }
    },
    close,
  };
}
