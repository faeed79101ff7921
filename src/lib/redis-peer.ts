import type { Redis } from 'ioredis';

/** The Redis server a connection is talking to now (for a Sentinel group: the master in use). */
export function connectedServer(connection: Redis): string | undefined {
  const stream = connection.stream as { remoteAddress?: string; remotePort?: number } | undefined;
  return stream?.remoteAddress === undefined ? undefined : `${stream.remoteAddress}:${stream.remotePort}`;
}
