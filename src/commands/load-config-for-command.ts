import { type ConfigProblem, formatProblem } from '../config/config-problem.js';
import { type LoadResult, loadConfig } from '../config/load-config.js';
import type { RotorConfig } from '../config/rotor-config.js';
import { createAwsSecretReader } from '../sinks/aws-secrets-manager/aws-sm.reference-reader.js';

/** A user-facing failure: printed as one line (no stack trace), exits with `exitCode`. */
export class CommandFailure extends Error {
  override readonly name = 'CommandFailure';
  readonly exitCode: number;

  constructor(message: string, exitCode: number) {
    super(message);
    this.exitCode = exitCode;
  }
}

/**
 * The edge: the only place that hands `process.env` to the config loader. `extraEnv` adds variables the
 * command itself provides (the demo's generated secrets).
 */
export function loadConfigFromProcess(
  file: string,
  extraEnv: Readonly<Record<string, string>> = {},
): Promise<LoadResult> {
  return loadConfig(file, {
    env: { ...process.env, ...extraEnv },
    awsSecretReader: (sink) => createAwsSecretReader(sink),
  });
}

/** Loads the config for a command; a config with problems ends the command with exit code 2. */
export async function loadConfigForCommand(
  file: string,
  extraEnv: Readonly<Record<string, string>> = {},
): Promise<RotorConfig> {
  return (await loadCheckedConfig(file, extraEnv)).config;
}

/** The config with its warnings, for the commands that report them; problems end the command (exit 2). */
export async function loadCheckedConfig(
  file: string,
  extraEnv: Readonly<Record<string, string>> = {},
): Promise<{ readonly config: RotorConfig; readonly warnings: readonly ConfigProblem[] }> {
  const result = await loadConfigFromProcess(file, extraEnv);
  if (result.ok) return result;
  throw new CommandFailure(result.problems.map(formatProblem).join('\n'), 2);
}
