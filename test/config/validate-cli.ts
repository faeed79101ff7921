import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const cli = new URL('../../src/cli.ts', import.meta.url).pathname;

export interface CliResult {
  /** null when the command was killed for running past its time. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `rotor validate --config FILE` in a child process with only PATH and `env`; killed after 20 s (a hang). */
export async function runValidate(file: string, env: Record<string, string> = {}): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ['--import', 'tsx', cli, 'validate', '--config', file],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number | null; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** Writes `yaml` as rotor.yaml in a new temporary directory and validates it. */
export async function validateYaml(yaml: string, env: Record<string, string> = {}): Promise<CliResult> {
  const dir = await mkdtemp(join(tmpdir(), 'rotor-validate-'));
  const file = join(dir, 'rotor.yaml');
  await writeFile(file, yaml);
  return runValidate(file, env);
}
