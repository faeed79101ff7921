import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { RecordedCall } from '../src/emulator-harness/call-log.js';

const cli = new URL('../dist/cli.js', import.meta.url).pathname;
/** Clock ticks per second of /proc/<pid>/stat's CPU times (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/** What `rotor emulators` printed: per emulator (`cloudflare`, `aws`, …) what a client needs to reach it. */
export type EmulatorClients = Readonly<Record<string, Readonly<Record<string, string>>>>;

/**
 * Every bundled emulator (the vendors' and AWS's) in a process of its own, `rotor emulators` of the built CLI,
 * as an operator's vendors are outside the daemon's process. Counts come from each emulator's call log through
 * its control route (`/__emulator/calls`), which records every request it answered.
 */
export interface EmulatorProcess {
  readonly clients: EmulatorClients;
  /** A client field of one emulator (e.g. `client('cloudflare', 'apiToken')`); throws if it has none. */
  client(emulator: string, field: string): string;
  /** `http://host:port` of one emulator. */
  origin(emulator: string): string;
  /** Empties every emulator's call log. */
  clearCalls(): Promise<void>;
  /** Every emulator's call log, by emulator name. */
  calls(): Promise<ReadonlyMap<string, readonly RecordedCall[]>>;
  /** CPU milliseconds the process has used (user and system, all threads). */
  cpuMs(): Promise<number>;
  /** SIGTERM, then waits for the process to exit. */
  stop(): Promise<void>;
}

export async function spawnEmulators(): Promise<EmulatorProcess> {
  const child: ChildProcessByStdio<null, Readable, null> = spawn(
    process.execPath,
    [cli, 'emulators', '--port', '0'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = once(child, 'exit');
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  let clients: EmulatorClients;
  try {
    clients = await new Promise<EmulatorClients>((resolve, reject) => {
      let output = '';
      const read = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        const end = output.indexOf('\n');
        if (end < 0) return;
        child.stdout.off('data', read);
        child.stdout.resume();
        resolve(JSON.parse(output.slice(0, end)) as EmulatorClients);
      };
      child.stdout.on('data', read);
      child.once('exit', (code, signal) =>
        reject(new Error(`rotor emulators exited with ${code ?? signal} (is dist/ built? npm run build)`)),
      );
    });
  } catch (error) {
    await stop();
    throw error;
  }

  const client = (emulator: string, field: string): string => {
    const value = clients[emulator]?.[field];
    if (value === undefined) throw new Error(`rotor emulators printed no ${emulator}.${field}`);
    return value;
  };
  const origin = (emulator: string): string => {
    const address = clients[emulator]?.baseUrl ?? clients[emulator]?.endpoint;
    if (address === undefined) throw new Error(`rotor emulators printed no address for ${emulator}`);
    return new URL(address).origin;
  };
  const callLog = (emulator: string) => `${origin(emulator)}/__emulator/calls`;
  return {
    clients,
    client,
    origin,
    clearCalls: async () => {
      await Promise.all(
        Object.keys(clients).map(async (emulator) => {
          const answer = await fetch(callLog(emulator), { method: 'DELETE' });
          if (answer.status !== 204)
            throw new Error(`clearing ${emulator}'s calls answered ${answer.status}`);
        }),
      );
    },
    calls: async () =>
      new Map(
        await Promise.all(
          Object.keys(clients).map(async (emulator) => {
            const answer = await fetch(callLog(emulator));
            if (!answer.ok) throw new Error(`reading ${emulator}'s calls answered ${answer.status}`);
            const { calls } = (await answer.json()) as { calls: RecordedCall[] };
            return [emulator, calls] as const;
          }),
        ),
      ),
    cpuMs: async () => {
      // Fields after the command's closing parenthesis; utime and stime are the 14th and 15th of the line.
      const stat = await readFile(`/proc/${child.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return ((Number(fields[11]) + Number(fields[12])) * 1000) / USER_HZ;
    },
    stop,
  };
}
