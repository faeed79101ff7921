#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { register as registerDemo } from './commands/demo.js';
import { register as registerEmulators } from './commands/emulators.js';
import { CommandFailure } from './commands/load-config-for-command.js';
import { register as registerPlan } from './commands/plan.js';
import { register as registerRollback } from './commands/rollback.js';
import { register as registerRotate } from './commands/rotate.js';
import { register as registerStart } from './commands/start.js';
import { register as registerStatus } from './commands/status.js';
import { register as registerValidate } from './commands/validate.js';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const program = new Command('rotor')
  .description('rotates SaaS service credentials on schedule into AWS Secrets Manager')
  .version(version)
  .showHelpAfterError();

registerValidate(program);
registerStart(program);
registerRotate(program);
registerRollback(program);
registerStatus(program);
registerPlan(program);
registerDemo(program);
registerEmulators(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof CommandFailure) {
    process.stderr.write(`${error.message}\n`);
    process.exit(error.exitCode);
  }
  process.stderr.write(`rotor: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
