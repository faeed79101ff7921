import { Queue } from 'bullmq';
import type { Command } from 'commander';
import { ALERT_QUEUE } from '../alerts/alert-jobs.js';
import { deadDeliveries } from '../alerts/dead-deliveries.js';
import { connectRedis } from '../daemon/redis-infrastructure.js';
import { fleetStatuses } from '../queue/fleet-view.js';
import type { PolicyStatus } from '../queue/policy-status.js';
import { loadConfigForCommand } from './load-config-for-command.js';

const iso = (ms: number | undefined) => (ms === undefined ? '-' : new Date(ms).toISOString());

function render(status: PolicyStatus): string {
  return [
    `${status.policyId}: ${status.state}`,
    `  last success   ${iso(status.lastSuccessAt)}`,
    `  last attempt   ${iso(status.lastAttemptAt)}`,
    `  next run       ${iso(status.nextRunAt)}`,
    `  AWS version    ${status.currentVersionId ?? '-'}`,
    `  expires        ${iso(status.expiresAt)}`,
    ...(status.lastError
      ? [
          `  last error     ${status.lastError.message} (${status.lastError.kind}, ${iso(status.lastError.at)})`,
        ]
      : []),
  ].join('\n');
}

function renderDead(dead: Awaited<ReturnType<typeof deadDeliveries>>): string {
  return [
    `alert deliveries: ${dead.count} dead`,
    ...dead.recent.map(
      (d) => `  ${iso(d.failedAt)}  ${d.endpoint}  ${d.eventType} (${d.policyId ?? 'rotor'})  ${d.reason}`,
    ),
  ].join('\n');
}

/** `rotor status`: every policy's state, last and next runs, current AWS version and expiry. */
export function register(program: Command): void {
  program
    .command('status')
    .description(
      'show every policy: state, last success and attempt, last error, next run, AWS version, expiry',
    )
    .requiredOption('--config <file>', 'rotor config file (YAML)')
    .option('--json', 'one JSON document')
    .action(async (options: { config: string; json?: boolean }) => {
      const config = await loadConfigForCommand(options.config);
      const infra = connectRedis(config);
      const alertQueue = config.alerts
        ? new Queue(ALERT_QUEUE, { connection: infra.queueConnection, prefix: config.redis.prefix })
        : undefined;
      try {
        const statuses = await fleetStatuses(infra.queue, infra.records, config.policies);
        const dead = alertQueue ? await deadDeliveries(alertQueue) : undefined;
        process.stdout.write(
          options.json
            ? `${JSON.stringify({ policies: statuses, ...(dead ? { alerts: { deadDeliveries: dead } } : {}) })}\n`
            : `${[...statuses.map(render), ...(dead ? [renderDead(dead)] : [])].join('\n\n')}\n`,
        );
      } finally {
        await alertQueue?.close();
        await infra.close();
      }
    });
}
