import type { Command } from 'commander';
import { startDaemon } from '../daemon/start-daemon.js';
import { createLogger } from '../lib/logger.js';
import { loadConfigForCommand } from './load-config-for-command.js';

/** `rotor start --config FILE`: the daemon. Stops cleanly on SIGTERM or SIGINT. */
export function register(program: Command): void {
  program
    .command('start')
    .description('run the rotation daemon')
    .requiredOption('--config <file>', 'rotor config file (YAML)')
    .option('--log-level <level>', 'pino log level', 'info')
    .action(async (options: { config: string; logLevel: string }) => {
      const config = await loadConfigForCommand(options.config);
      const log = createLogger({ level: options.logLevel });
      const daemon = await startDaemon(config, { log });
      const stop = (signal: string) => {
        log.info({ signal }, 'signal received');
        daemon.stop().then(
          () => process.exit(0),
          (error: unknown) => {
            log.error({ err: error }, 'unclean stop');
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
}
