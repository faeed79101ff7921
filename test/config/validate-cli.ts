import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliRun, runRotor } from '../support/cli-run.js';

/** `rotor validate --config FILE` in a child process with only PATH and `env`; killed after 20 s (a hang). */
export function runValidate(file: string, env: Record<string, string> = {}): Promise<CliRun> {
  return runRotor(['validate', '--config', file], {
    env: { PATH: process.env.PATH ?? '', ...env },
    timeoutMs: 20_000,
  });
}

/** Writes `yaml` as rotor.yaml in a new temporary directory and validates it. */
export async function validateYaml(yaml: string, env: Record<string, string> = {}): Promise<CliRun> {
  const dir = await mkdtemp(join(tmpdir(), 'rotor-validate-'));
  const file = join(dir, 'rotor.yaml');
  await writeFile(file, yaml);
  return runValidate(file, env);
}
