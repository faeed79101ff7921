import { Queue } from 'bullmq';
import type { Command } from 'commander';
import { ALERT_QUEUE } from '../alerts/alert-jobs.js';
import { deadDeliveries } from '../alerts/dead-deliveries.js';
import { configRedactor } from '../config/config-secrets.js';
import type { ConsumersView, ConsumerView } from '../consumers/consumer-view.js';
import { connectRedis } from '../daemon/redis-infrastructure.js';
import { withConsumers } from '../queue/consumer-statuses.js';
import type { CorruptJob } from '../queue/corrupt-jobs.js';
import { fleetStatuses } from '../queue/fleet-view.js';
import type { PolicyStatus } from '../queue/policy-status.js';
import { deferralReason } from '../queue/rotation-start.js';
import { loadConfigForCommand } from './load-config-for-command.js';

const iso = (ms: number | undefined) => (ms === undefined ? '-' : new Date(ms).toISOString());

function renderConsumer(consumer: ConsumerView): string {
  const parts: string[] = [];
  if (consumer.confirmed === true)
    parts.push(`confirmed ${iso(consumer.confirmedAt)} (${consumer.confirmation})`);
  else if (consumer.confirmed === false)
    parts.push(
      `unconfirmed (${consumer.confirmation}, ${consumer.confirmedVersionId === undefined ? 'no confirmation yet' : `behind: ${consumer.confirmedVersionId}`})`,
    );
  const { reload } = consumer;
  if (reload !== null)
    parts.push(`reload ${reload.state}${reload.error === undefined ? '' : ` (${reload.error})`}`);
  return `  consumer ${consumer.name}: ${parts.join(', ')}`;
}

function renderConsumers(view: ConsumersView): string[] {
  return [
    ...view.list.map(renderConsumer),
    ...view.held.map(
      (held) =>
        `  held version   ${held.versionId} since ${iso(held.since)} (unconfirmed: ${held.unconfirmed.join(', ')})`,
    ),
    ...(view.runWaiting === undefined
      ? []
      : [`  run waiting    due ${iso(view.runWaiting)}, starts when no version is held`]),
  ];
}

function render(status: PolicyStatus): string {
  return [
    `${status.policyId}: ${status.state}`,
    `  last success   ${iso(status.lastSuccessAt)}`,
    `  last attempt   ${iso(status.lastAttemptAt)}`,
    `  next run       ${iso(status.nextRunAt)}${status.nextRunDeferred ? ` (${deferralReason(status.nextRunDeferred)})` : ''}`,
    `  AWS version    ${status.currentVersionId ?? '-'}`,
    ...(status.rolledBack
      ? [
          `  rolled back    ${iso(status.rolledBack.at)} from version ${status.rolledBack.versionId} (run ${status.rolledBack.runId})`,
        ]
      : []),
    `  expires        ${iso(status.expiresAt)}`,
    ...(status.lastError
      ? [
          `  last error     ${status.lastError.message} (${status.lastError.kind}, ${iso(status.lastError.at)})`,
        ]
      : []),
    ...(status.consumers ? renderConsumers(status.consumers) : []),
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

function renderCorrupt(jobs: readonly CorruptJob[]): string {
  return [
    `corrupt jobs: ${jobs.length} skipped (their hash does not parse)`,
    ...jobs.map((job) => `  ${job.id}  ${job.reason}`),
  ].join('\n');
}

/** `rotor status`: every policy's state, last and next runs, current AWS version and expiry. */
export function register(program: Command): void {
  program
    .command('status')
    .description(
      'show every policy: state, last success and attempt, last error, next run, AWS version, expiry, consumers',
    )
    .requiredOption('--config <file>', 'rotor config file (YAML)')
    .option('--json', 'one JSON document')
    .action(async (options: { config: string; json?: boolean }) => {
      const config = await loadConfigForCommand(options.config);
      const infra = connectRedis(config);
      const alertQueue = config.alerts
        ? new Queue(ALERT_QUEUE, { connection: infra.queueConnection, prefix: config.redis.prefix })
        : undefined;
      alertQueue?.on('error', (error) => infra.reachability.failed(error));
      try {
        // A job whose hash does not parse is skipped and named: every other policy still shows.
        const fleet = await fleetStatuses(infra.queue, infra.records, config.policies);
        const { corruptJobs } = fleet;
        const statuses = await withConsumers(infra.consumers, config.policies, fleet.statuses);
        const dead = alertQueue ? await deadDeliveries(alertQueue) : undefined;
        const json = {
          policies: statuses,
          corruptJobs,
          ...(dead ? { alerts: { deadDeliveries: dead } } : {}),
        };
        const blocks = [
          ...statuses.map(render),
          ...(corruptJobs.length > 0 ? [renderCorrupt(corruptJobs)] : []),
          ...(dead ? [renderDead(dead)] : []),
        ];
        const text = options.json ? `${JSON.stringify(json)}\n` : `${blocks.join('\n\n')}\n`;
        // Errors and reasons come from Redis, written by any daemon: the config's secrets go, whoever wrote them.
        process.stdout.write(configRedactor(config).redact(text));
      } finally {
        await alertQueue?.close();
        await infra.close();
      }
    });
}
