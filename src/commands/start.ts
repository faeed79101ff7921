import type { Command } from 'commander';
import { type ConfigProblem, formatProblem } from '../config/config-problem.js';
import type { RotorConfig } from '../config/rotor-config.js';
import { type Daemon, startDaemon } from '../daemon/start-daemon.js';
import { SecretRedactor } from '../domain/secret-redactor.js';
import { listenProblem } from '../lib/listen-problem.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { loadCheckedConfig, loadConfigFromProcess } from './load-config-for-command.js';

/**
 * Re-reads the config on SIGHUP. An invalid file, or one whose new API address cannot be listened on, is
 * refused and the running daemon goes on untouched; a valid one replaces it: the old daemon stops taking jobs
 * and finishes its in-flight steps, the new one reconciles the schedulers. If the new one still cannot start
 * (a start that fails closes all it opened), the previous config is started again.
 */
function reloader(
  file: string,
  options: { readonly log: Logger; readonly redactor: SecretRedactor },
  running: { daemon: Daemon; config: RotorConfig },
) {
  const { log } = options;
  return async () => {
    log.info({ file }, 'SIGHUP: reloading the config');
    const result = await loadConfigFromProcess(file);
    if (!result.ok) {
      log.error(
        { problems: result.problems.map(formatProblem) },
        'config reload refused: the new config is invalid; the running config stays',
      );
      return;
    }
    logWarnings(log, result.warnings);
    const listen = result.config.api;
    const previous = running.config.api;
    if (listen && listen.port !== 0 && (listen.host !== previous?.host || listen.port !== previous.port)) {
      const problem = await listenProblem(listen.host, listen.port);
      if (problem !== undefined) {
        log.error(
          { api: `${listen.host}:${listen.port}`, problem },
          'config reload refused: the new config’s API address cannot be listened on; the running config stays',
        );
        return;
      }
    }
    await running.daemon.stop();
    try {
      running.daemon = await startDaemon(result.config, options);
      running.config = result.config;
      log.info({ policies: result.config.policies.length }, 'config reloaded');
    } catch (error) {
      log.error({ err: error }, 'the new config could not start; starting the previous one again');
      running.daemon = await startDaemon(running.config, options);
    }
  };
}

function logWarnings(log: Logger, warnings: readonly ConfigProblem[]): void {
  for (const warning of warnings) log.warn({ config: formatProblem(warning) }, 'config warning');
}

/** `rotor start --config FILE`: the daemon. Stops cleanly on SIGTERM or SIGINT; reloads on SIGHUP. */
export function register(program: Command): void {
  program
    .command('start')
    .description('run the rotation daemon (SIGHUP reloads the config)')
    .requiredOption('--config <file>', 'rotor config file (YAML)')
    .option('--log-level <level>', 'pino log level', 'info')
    .option('--pretty', 'human-readable logs (pino-pretty) instead of JSON lines')
    .action(async (options: { config: string; logLevel: string; pretty?: boolean }) => {
      const { config, warnings } = await loadCheckedConfig(options.config);
      // One redactor for the daemon and its log: every line is written without the secret values it holds.
      const redactor = new SecretRedactor();
      const log = createLogger({ level: options.logLevel, pretty: options.pretty === true, redactor });
      logWarnings(log, warnings);
      const running = { daemon: await startDaemon(config, { log, redactor }), config };
      let pending: Promise<void> = Promise.resolve();
      const reload = reloader(options.config, { log, redactor }, running);
      process.on('SIGHUP', () => {
        pending = pending.then(reload, reload);
      });
      const stop = (signal: string) => {
        log.info({ signal }, 'signal received');
        pending
          .then(() => running.daemon.stop())
          .then(
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
