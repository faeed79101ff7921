import { type ChildProcessByStdio, execFile, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';

const run = promisify(execFile);
const cli = new URL('../../src/cli.ts', import.meta.url).pathname;
/** node's arguments that run `rotor` from its sources, up to the command. */
export const rotorFromSources: readonly string[] = ['--import', 'tsx', cli];

export interface CliRun {
  /** -1 when the command was killed for running past its time. */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  /** The child's whole environment; this process's when not given. */
  readonly env?: NodeJS.ProcessEnv;
  /** How long it may run before it is killed (a hang); 60 s when not given. */
  readonly timeoutMs?: number;
}

/** `rotor <args>` in a child process, to its exit; never rejects. */
export function runRotor(args: readonly string[], options: CliOptions = {}): Promise<CliRun> {
  return run(process.execPath, [...rotorFromSources, ...args], {
    env: options.env ?? process.env,
    timeout: options.timeoutMs ?? 60_000,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number | null; stdout?: string; stderr?: string }) => ({
      code: error.code ?? -1,
      stdout: error.stdout ?? '',
      stderr: error.stderr ?? '',
    }),
  );
}

/** `rotor <args> --config FILE` in a child process with `env` added to this one's; never rejects. */
export function runCli(
  configFile: string,
  env: Readonly<Record<string, string>>,
  ...args: string[]
): Promise<CliRun> {
  return runRotor([...args, '--config', configFile], { env: { ...process.env, ...env } });
}

/** `rotor <args>` left running in a child process (a server, the demo), its stdout and stderr piped. */
export function startRotor(
  args: readonly string[],
  options: Pick<CliOptions, 'env'> = {},
): ChildProcessByStdio<null, Readable, Readable> {
  return spawn(process.execPath, [...rotorFromSources, ...args], {
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
