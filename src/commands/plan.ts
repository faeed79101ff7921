import type { Command } from 'commander';
import { configRedactor } from '../config/config-secrets.js';
import type { PolicyConfig } from '../config/rotor-config.js';
import { connectRedis } from '../daemon/redis-infrastructure.js';
import { redisLocation } from '../daemon/redis-location.js';
import { formatDuration } from '../domain/duration.js';
import { jitterOffsetMs } from '../domain/jitter-offset.js';
import type { AllowedWindow, RotationWindows } from '../domain/rotation-windows.js';
import { systemClock } from '../lib/clock.js';
import { createHttpClientFactory } from '../lib/http-client.js';
import { createLogger } from '../lib/logger.js';
import { connectedServer } from '../lib/redis-peer.js';
import { consumerChecks, consumerLines } from '../plan/consumer-checks.js';
import { formatInZone, nextRuns } from '../plan/next-runs.js';
import { plannedRuns } from '../plan/planned-runs.js';
import { type CheckResult, preflightChecks } from '../plan/preflight-checks.js';
import { deferralReason } from '../queue/rotation-start.js';
import { connectionHttp } from '../rate-limit/connection-http.js';
import { RedisRateLimiter } from '../rate-limit/redis-rate-limiter.js';
import { createAwsSecretsManagerSink } from '../sinks/aws-secrets-manager/aws-sm.sink.js';
import { CommandFailure, loadConfigForCommand } from './load-config-for-command.js';

const RUNS_SHOWN = 3;
const PLAN_MAX_WAIT_MS = 10 * 60_000;

function scheduleLines(policy: PolicyConfig, nowMs: number): string {
  const { schedule } = policy;
  if (policy.paused) return 'paused: nothing runs';
  if (schedule.kind === 'manual')
    return `on demand only (rotor rotate, the API, the queue)${policy.windows ? '; within the windows below unless forced' : ''}`;
  if (schedule.kind === 'beforeExpiry')
    return `${formatDuration(schedule.leadMs)} before the current credential expires${policy.windows ? '; within the windows below, unless the credential would expire first' : ''}`;
  const tz = schedule.kind === 'cron' ? schedule.tz : 'UTC';
  if (policy.windows) return windowedRunLines(policy, nowMs, tz);
  // The policy's offset is fixed (drawn from its id); shown to the second.
  const offsetToTheSecondMs = Math.floor(jitterOffsetMs(policy) / 1000) * 1000;
  const jitter =
    policy.jitterMs > 0
      ? ` (+ ${formatDuration(offsetToTheSecondMs)} jitter, of up to ${formatDuration(policy.jitterMs)})`
      : '';
  return `${nextRuns(schedule, nowMs, RUNS_SHOWN)
    .map((at) => formatInZone(at, tz))
    .join(', ')}${jitter}`;
}

/** The next runs as the windows and freezes let them start (jitter included), with why any moved. */
function windowedRunLines(policy: PolicyConfig, nowMs: number, tz: string): string {
  const runs = plannedRuns(policy, nowMs, RUNS_SHOWN);
  if (runs.length === 0) return 'none within 3 years: the windows and freezes allow no start';
  return runs
    .map(({ dueMs, atMs, shift }) =>
      shift === undefined
        ? formatInZone(atMs, tz)
        : `${formatInZone(atMs, tz)} (due ${formatInZone(dueMs, tz)}, ${deferralReason(shift)})`,
    )
    .join(', ');
}

const hhmm = (window: AllowedWindow) => `${window.from}–${window.to}`;

/** The policy's windows and freezes as configured (after the config-wide default). */
function windowLines(windows: RotationWindows): string[] {
  const allowed =
    windows.allowed === undefined
      ? 'any time'
      : windows.allowed
          .map((window) => `${window.days.join(',')} ${hhmm(window)} ${window.timeZone}`)
          .join('; ');
  const freezes = windows.freezes.map(
    (freeze) =>
      `${new Date(freeze.fromMs).toISOString()} until ${new Date(freeze.toMs).toISOString()}${freeze.reason ? ` (${freeze.reason})` : ''}`,
  );
  return [
    `  windows      ${allowed}`,
    ...freezes.map((freeze, index) => `  ${index === 0 ? 'freezes' : ''.padEnd(7)}      ${freeze}`),
  ];
}

function render(policy: PolicyConfig, checks: readonly CheckResult[], nowMs: number): string {
  const action = policy.connection.provider.actions[policy.action];
  return [
    `${policy.id}`,
    `  does         ${policy.connection.provider.id} ${policy.action} (${policy.capability}): ${action?.summary ?? ''}`,
    `  target       ${JSON.stringify(policy.target)}`,
    `  AWS secret   ${policy.secret.id}${policy.secret.adopt ? ' (adopt)' : ''}`,
    ...(policy.capability === 'extend' ? [] : [`  grace        ${formatDuration(policy.gracePeriodMs)}`]),
    `  next runs    ${scheduleLines(policy, nowMs)}`,
    ...(policy.windows ? windowLines(policy.windows) : []),
    ...consumerLines(policy),
    ...checks.map((check) => `  ${(check.ok ? 'ok' : 'FAIL').padEnd(13)}${check.name}: ${check.detail}`),
  ].join('\n');
}

/** `rotor plan`: what each policy will do and when, with read-only preflight checks. */
export function register(program: Command): void {
  program
    .command('plan')
    .description(
      'show what each policy will do and when, and run read-only preflight checks (exit 1 if one fails)',
    )
    .requiredOption('--config <file>', 'rotor config file (YAML)')
    .action(async (options: { config: string }) => {
      const config = await loadConfigForCommand(options.config);
      const sink = createAwsSecretsManagerSink(config.sink, { clock: systemClock });
      const infra = connectRedis(config);
      // Preflight calls count against the same vendor quotas as the daemon's: they wait their turn.
      const limiter = new RedisRateLimiter(infra.redis, {
        prefix: config.redis.prefix,
        maxWaitMs: PLAN_MAX_WAIT_MS,
      });
      const deps = {
        sink,
        http: connectionHttp((timeoutMs) => createHttpClientFactory({ timeoutMs }), limiter),
        clock: systemClock,
        log: createLogger({ level: 'silent' }),
      };
      try {
        const nowMs = Date.now();
        let failed = 0;
        const sections: string[] = [];
        for (const policy of config.policies) {
          // A consumer's confirmation URL is read once (GET); its reload hook is not called.
          const checks = (await Promise.all([preflightChecks(policy, deps), consumerChecks(policy)])).flat();
          failed += checks.filter((check) => !check.ok).length;
          sections.push(render(policy, checks, nowMs));
        }
        // Preflight failures quote vendor text, which may echo the admin credentials.
        process.stdout.write(configRedactor(config).redact(`${sections.join('\n\n')}\n`));
        await infra.redis.ping();
        process.stdout.write(
          `\nredis  ${redisLocation(config.redis)}: connected to ${connectedServer(infra.redis) ?? 'an unknown server'}\n`,
        );
        if (failed > 0) throw new CommandFailure(`${failed} check${failed === 1 ? '' : 's'} failed`, 1);
        process.stdout.write(`\nall checks passed; nothing was issued or changed\n`);
      } finally {
        sink.close();
        await infra.close();
      }
    });
}
