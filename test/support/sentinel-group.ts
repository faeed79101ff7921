import { Redis } from 'ioredis';
import { eventually } from './eventually.js';
import { type RedisServer, startRedisServer } from './redis-server.js';
import { startTcpRelay, type TcpRelay } from './tcp-relay.js';

/** A Sentinel master group of a suite's own: one master, one replica, three sentinels, on free ports. */
export interface SentinelGroup {
  readonly name: string;
  readonly master: RedisServer;
  readonly replica: RedisServer;
  readonly sentinels: readonly RedisServer[];
  /** The network between the master and the replica, with `replicationRelay`. */
  readonly relay: TcpRelay | undefined;
  /** The `redis:` lines of a rotor config that reach the group through its sentinels. */
  readonly location: string;
  /** A client of the group's master as the sentinels name it (reconnect errors are the caller's to expect). */
  client(): Redis;
  /** Which server the sentinels name as the master now. */
  masterPort(): Promise<number | undefined>;
  /** Waits until the sentinels have promoted the replica. */
  promoted(): Promise<void>;
  close(): Promise<void>;
}

export interface SentinelGroupOptions {
  readonly name?: string;
  /**
   * How long a server may not answer before the sentinels hold it down. A replica whose link to the master
   * has been down longer than ten times this (plus the time the master has been down) is never promoted.
   */
  readonly downAfterMs?: number;
  /**
   * The replica replicates through a TCP relay the suite can freeze (a partition that loses what is in
   * flight). The sentinels would re-point a replica that names another master address than theirs after
   * `failover-timeout`, so that is long here: the relay stays in the path for the suite's life.
   */
  readonly replicationRelay?: boolean;
}

export async function startSentinelGroup(options: SentinelGroupOptions = {}): Promise<SentinelGroup> {
  const name = options.name ?? 'rotor-ha';
  const downAfterMs = options.downAfterMs ?? 1_000;
  // No delay before a replica's first (diskless) sync: the default waits 5 s for more replicas.
  const master = await startRedisServer({ args: ['--repl-diskless-sync-delay', '0'] });
  const relay = options.replicationRelay ? await startTcpRelay(master.port) : undefined;
  const replica = await startRedisServer({
    args: ['--replicaof', '127.0.0.1', String(relay?.port ?? master.port)],
  });
  const failoverTimeoutMs = relay ? 600_000 : 10_000;
  const replicaClient = new Redis(replica.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
  await eventually('the replica to be in sync', async () =>
    (await replicaClient.info('replication')).includes('master_link_status:up') ? true : undefined,
  );
  replicaClient.disconnect();
  const sentinels: RedisServer[] = [];
  for (let index = 0; index < 3; index++) {
    sentinels.push(
      await startRedisServer({
        sentinelConfig: [
          `sentinel monitor ${name} 127.0.0.1 ${master.port} 2`,
          `sentinel down-after-milliseconds ${name} ${downAfterMs}`,
          `sentinel failover-timeout ${name} ${failoverTimeoutMs}`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      }),
    );
  }
  const askSentinel = async <T>(command: string, ...args: string[]): Promise<T> => {
    const client = new Redis(sentinels[0]?.port ?? 0, '127.0.0.1', { maxRetriesPerRequest: 1 });
    try {
      return (await client.call(command, ...args)) as T;
    } finally {
      client.disconnect();
    }
  };
  // A failover needs the sentinels to know the replica.
  await eventually('the sentinels to know the replica', async () =>
    (await askSentinel<unknown[]>('SENTINEL', 'replicas', name)).length > 0 ? true : undefined,
  );
  const masterPort = async (): Promise<number | undefined> => {
    const answer = await askSentinel<string[] | null>('SENTINEL', 'get-master-addr-by-name', name);
    return answer?.[1] === undefined ? undefined : Number(answer[1]);
  };

  return {
    name,
    master,
    replica,
    sentinels,
    relay,
    location: [
      `sentinels: [${sentinels.map((s) => `{ host: 127.0.0.1, port: ${s.port} }`).join(', ')}]`,
      `name: ${name}`,
    ].join('\n'),
    client: () =>
      new Redis({
        sentinels: sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })),
        name,
        maxRetriesPerRequest: null,
      }),
    masterPort,
    promoted: async () => {
      await eventually(
        'the sentinels to promote the replica',
        async () => ((await masterPort().catch(() => undefined)) === replica.port ? true : undefined),
        60_000,
      );
    },
    close: async () => {
      for (const server of [...sentinels, replica, master]) await server.close();
      await relay?.close();
    },
  };
}
