import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const cli = new URL('../../src/cli.ts', import.meta.url).pathname;

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `rotor <args> --config FILE` in a child process with `env` added to this one's; never rejects. */
export function runCli(
  configFile: string,
  env: Readonly<Record<string, string>>,
  ...args: string[]
): Promise<CliRun> {
  return run(process.execPath, ['--import', 'tsx', cli, ...args, '--config', configFile], {
    env: { ...process.env, ...env },
    timeout: 60_000,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: error.code ?? -1,
      stdout: error.stdout ?? '',
      stderr: error.stderr ?? '',
    }),
  );
}
