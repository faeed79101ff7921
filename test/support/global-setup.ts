import type {} from 'vitest';
import type { TestProject } from 'vitest/node';

/**
 * Redis for integration suites: REDIS_URL when set (CI and this machine: the local redis-server),
 * otherwise a throwaway container when a Docker engine answers, otherwise the default local Redis.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let url = process.env.REDIS_URL;
  let stop: (() => Promise<unknown>) | undefined;
  if (!url) {
    try {
      const { RedisContainer } = await import('@testcontainers/redis');
      const container = await new RedisContainer('redis:7.4-alpine').start();
      url = container.getConnectionUrl();
      stop = () => container.stop();
    } catch {
      url = 'redis://127.0.0.1:6379';
    }
  }
  project.provide('redisUrl', url);
  return async () => {
    await stop?.();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}
