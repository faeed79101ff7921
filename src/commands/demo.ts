import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { connectRedis } from '../daemon/redis-infrastructure.js';
import { startDaemon } from '../daemon/start-daemon.js';
import { SecretRedactor } from '../domain/secret-redactor.js';
import type { StepEvent } from '../engine/ports.js';
import { createLogger } from '../lib/logger.js';
import { CommandFailure, loadConfigForCommand } from './load-config-for-command.js';

const BUNDLED_DEMO_CONFIG = fileURLToPath(new URL('../../config/demo.yaml', import.meta.url));

/** `rotor demo`: the daemon on config/demo.yaml against the bundled emulators, one line per step. */
export function register(program: Command): void {
  program
    .command('demo')
    .description('run rotor against its bundled emulators: rotations every few seconds, one line per step')
    .option('--config <file>', 'demo config', BUNDLED_DEMO_CONFIG)
    .option('--redis-url <url>', "Redis to use instead of the config's (e.g. redis://redis:6379 in compose)")
    .action(async (options: { config: string; redisUrl?: string }) => {
      // Loaded here, not at the CLI's start: `rotor start` never loads the demo or an emulator.
      const [
        { clearPrefix },
        { startDemoEmulators },
        { startDemoConsumers },
        { generateDemoSecrets },
        { formatStepLine },
      ] = await Promise.all([
        import('../demo/clear-prefix.js'),
        import('../demo/demo-emulators.js'),
        import('../demo/demo-consumer.js'),
        import('../demo/demo-secrets.js'),
        import('../demo/step-lines.js'),
      ]);
      const secrets = generateDemoSecrets();
      const loaded = await loadConfigForCommand(options.config, { ...secrets });
      if (options.redisUrl !== undefined && !/^rediss?:\/\/[^/\s]+/.test(options.redisUrl)) {
        throw new CommandFailure(`--redis-url expects redis://host:port, got "${options.redisUrl}"`, 2);
      }
      const config =
        options.redisUrl === undefined
          ? loaded
          : {
              ...loaded,
              redis: {
                url: options.redisUrl,
                prefix: loaded.redis.prefix,
                ...(loaded.redis.password === undefined ? {} : { password: loaded.redis.password }),
              },
            };
      const out = (line: string) => process.stdout.write(`${line}\n`);
      const policyWidth = Math.max(...config.policies.map((policy) => policy.id.length));
      const observe = (event: StepEvent) => out(formatStepLine(event, Date.now(), policyWidth));

      const infra = connectRedis(config);
      const cleared = await clearPrefix(infra.redis, config.redis.prefix);
      await infra.close();
      const emulators = await startDemoEmulators(config);
      const consumers = await startDemoConsumers(config, observe).catch(async (error: unknown) => {
        await emulators.close();
        throw error;
      });
      out(`rotor demo: ${config.policies.length} policies from ${options.config}`);
      for (const line of [...emulators.described, ...consumers.described]) out(`  ${line}`);
      if (cleared > 0) out(`  cleared ${cleared} keys of an earlier demo under "${config.redis.prefix}:"`);
      out('  one line per step; secret values are never printed. Ctrl-C stops.\n');

      const redactor = new SecretRedactor();
      const daemon = await startDaemon(config, {
        // Problems reach the step lines as "failed"/"retrying"; the JSON log keeps only errors here.
        log: createLogger({ level: 'error', redactor }),
        redactor,
        observe,
      });
      const stop = () => {
        out('\nstopping: letting in-flight steps finish…');
        daemon
          .stop()
          .then(() => Promise.all([consumers.close(), emulators.close()]))
          .then(
            () => {
              out('stopped.');
              process.exit(0);
            },
            (error: unknown) => {
              process.stderr.write(
                `unclean stop: ${error instanceof Error ? error.message : String(error)}\n`,
              );
              process.exit(1);
            },
          );
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
