import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { eventually } from './eventually.js';
import { freePort } from './free-port.js';

/**
 * A `redis-server` of a suite's own, on a free port of 127.0.0.1, for suites that restart or empty Redis:
 * doing that to the shared test Redis would break every other suite running at the time.
 */
export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  /** Starts it again after `stop`, on the same port and data directory (with AOF on, the data is back). */
  start(): Promise<void>;
  /** SIGTERM, then waits for the process to exit. */
  stop(): Promise<void>;
  /** SIGKILL: gone at once, as a crashed host. */
  kill(): Promise<void>;
  /** SIGSTOP: frozen (a stalled host); it answers nothing until `resume`. */
  pause(): void;
  /** SIGCONT after `pause`. */
  resume(): void;
  /** FLUSHALL: every key of every database gone, as on a Redis that lost its data. */
  flush(): Promise<void>;
  /** Stops it if it runs and removes its data directory. */
  close(): Promise<void>;
}

export interface RedisServerOptions {
  /** Append-only file on (data survives a restart); default off: no persistence at all. */
  readonly appendOnly?: boolean;
  /** More arguments, e.g. `--replicaof 127.0.0.1 <port>`. */
  readonly args?: readonly string[];
  /** A sentinel instead of a server, with this sentinel.conf (written to its data directory). */
  readonly sentinelConfig?: string;
  /** This port instead of a free one (e.g. one a daemon was already told to use). */
  readonly port?: number;
}

/** Starts the server and returns once it answers PING. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'rotor-redis-'));
  const port = options.port ?? (await freePort());
  let child: ChildProcess | undefined;

  const answers = async (): Promise<boolean> => {
    const probe = new Redis(port, '127.0.0.1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      return (await probe.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      probe.disconnect();
    }
  };

  const start = async (): Promise<void> => {
    if (child) throw new Error('this redis-server is already running');
    const base = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dataDir];
    const args =
      options.sentinelConfig === undefined
        ? [...base, '--save', '', '--appendonly', options.appendOnly ? 'yes' : 'no', ...(options.args ?? [])]
        : [join(dataDir, 'sentinel.conf'), '--sentinel', ...base];
    const started = spawn('redis-server', args, { stdio: 'ignore' });
    child = started;
    await eventually('the suite’s redis-server to answer', async () => {
      if (started.exitCode !== null) throw new Error(`redis-server exited with ${started.exitCode}`);
      return (await answers()) ? true : undefined;
    });
  };

  const end = async (signal: NodeJS.Signals): Promise<void> => {
    const running = child;
    if (!running) return;
    child = undefined;
    if (running.exitCode !== null || running.signalCode !== null) return;
    const exited = once(running, 'exit');
    running.kill(signal);
    await exited;
  };
  const stop = () => end('SIGTERM');

  if (options.sentinelConfig !== undefined) {
    await writeFile(join(dataDir, 'sentinel.conf'), options.sentinelConfig);
  }
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    start,
    stop,
    kill: () => end('SIGKILL'),
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    flush: async () => {
      const client = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 });
      try {
        await client.flushall();
      } finally {
        client.disconnect();
      }
    },
    close: async () => {
      await stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
