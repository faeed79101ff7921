import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { rotorFromSources } from './cli-run.js';
import { eventually } from './eventually.js';

/** `rotor start` in a child process, as an operator would run it; everything it prints is kept. */
export interface DaemonProcess {
  readonly child: ChildProcess;
  output(): string;
  /** SIGKILL: no cleanup, no lock release, exactly what a crash or OOM kill does. */
  kill(): Promise<void>;
  /** SIGTERM, then waits for the exit code. */
  stop(): Promise<number | null>;
}

export interface DaemonProcessOptions {
  /** `ulimit -n` for the daemon: how many files and sockets it may hold open. */
  readonly openFileLimit?: number;
  /** false: return once the process runs, not once it says it started (e.g. while Redis is down). */
  readonly waitForStart?: boolean;
  /**
   * Another way to run rotor than src/cli.ts through tsx: node's arguments up to the command (e.g. the
   * built dist/cli.js with a loader hook) and variables for this process on top of `env`.
   */
  readonly launch?: {
    readonly nodeArgs: readonly string[];
    readonly env?: Readonly<Record<string, string>>;
  };
}

export async function startDaemonProcess(
  configFile: string,
  env: Readonly<Record<string, string>>,
  collected: string[] = [],
  options: DaemonProcessOptions = {},
): Promise<DaemonProcess> {
  const rotor = options.launch?.nodeArgs ?? rotorFromSources;
  const start = [...rotor, 'start', '--config', configFile, '--log-level', 'debug'];
  // `exec` keeps the pid: signals reach the daemon, not a shell.
  const [command, args] =
    options.openFileLimit === undefined
      ? [process.execPath, start]
      : [
          '/bin/sh',
          ['-c', `ulimit -n ${options.openFileLimit} && exec "$0" "$@"`, process.execPath, ...start],
        ];
  const child = spawn(command, args, {
    env: { ...process.env, ...env, ...options.launch?.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: string[] = [];
  const keep = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    chunks.push(text);
    collected.push(text);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = once(child, 'exit');
  const output = () => chunks.join('');
  await eventually('the daemon to start', () => {
    if (child.exitCode !== null) throw new Error(`rotor start exited with ${child.exitCode}:\n${output()}`);
    return options.waitForStart === false || output().includes('"msg":"rotor started"') ? true : undefined;
  });
  return {
    child,
    output,
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
}
