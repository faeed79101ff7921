import type { Command } from 'commander';
import { formatProblem } from '../config/config-problem.js';
import type { LoadResult } from '../config/load-config.js';
import { loadConfigFromProcess } from './load-config-for-command.js';

export interface ValidateIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/** Prints the verdict on a loaded config and returns the exit code: 0 valid, 2 problems. */
export function reportValidation(file: string, result: LoadResult, io: ValidateIo): number {
  if (result.ok) {
    const { connections, policies } = result.config;
    for (const warning of result.warnings) io.stderr(`warning: ${formatProblem(warning)}\n`);
    io.stdout(
      `${file}: valid (${connections.size} connection${connections.size === 1 ? '' : 's'}, ${policies.length} polic${policies.length === 1 ? 'y' : 'ies'})\n`,
    );
    return 0;
  }
  for (const problem of result.problems) io.stderr(`${formatProblem(problem)}\n`);
  io.stderr(`${result.problems.length} problem${result.problems.length === 1 ? '' : 's'} in ${file}\n`);
  return 2;
}

/** `rotor validate --config FILE`: every problem at once; exit 0 when valid, 2 when not. */
export function register(program: Command): void {
  program
    .command('validate')
    .description('check a config file and report every problem with its YAML path (exit 0 valid, 2 invalid)')
    .requiredOption('--config <file>', 'rotor config file (YAML)')
    .action(async (options: { config: string }) => {
      const result = await loadConfigFromProcess(options.config);
      process.exitCode = reportValidation(options.config, result, {
        stdout: (text) => process.stdout.write(text),
        stderr: (text) => process.stderr.write(text),
      });
    });
}
