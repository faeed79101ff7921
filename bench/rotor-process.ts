import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { MemoryCgroup } from './memory-cgroup.js';

const cli = new URL('../dist/cli.js', import.meta.url).pathname;

/** `rotor start` running in a child process of its own, as it runs in a container. */
export interface RotorProcess {
  /** Seconds from spawn to "rotor started". */
  readonly startS: number;
  /** A field of the process's /proc status, in KiB. */
  statusKiB(field: 'VmRSS' | 'VmHWM'): Promise<number>;
  /** SIGTERM, then waits for the process to exit. */
  stop(): Promise<void>;
}

/**
 * Spawns the built CLI's `rotor start` on `configFile` with `env` added, and resolves once it logged
 * "rotor started" (its log is read until then, discarded after); rejects if it exits first.
 */
export async function spawnRotor(
  configFile: string,
  env: Readonly<Record<string, string>>,
  options: { readonly cgroup?: MemoryCgroup } = {},
): Promise<RotorProcess> {
  const started = performance.now();
  const argv = [cli, 'start', '--config', configFile];
  const { command, args } = options.cgroup?.wrap(process.execPath, argv) ?? {
    command: process.execPath,
    args: argv,
  };
  const child: ChildProcessByStdio<null, Readable, null> = spawn(command, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const read = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-4096);
      if (!output.includes('"msg":"rotor started"')) return;
      child.stdout.off('data', read);
      child.stdout.resume();
      resolve();
    };
    child.stdout.on('data', read);
    child.once('exit', (code, signal) =>
      reject(new Error(`rotor start exited with ${code ?? signal}: ${output.slice(-300)}`)),
    );
  });
  const startS = (performance.now() - started) / 1000;
  return {
    startS,
    async statusKiB(field) {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
      return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
