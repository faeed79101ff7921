import type { z } from 'zod';
import { formatDuration } from '../domain/duration.js';
import { durationSchema } from '../domain/duration-schema.js';
import type { AnyProvider } from '../providers/provider.js';
import { findProvider, providers } from '../providers/registry.js';
import { type RateLimit, rateLimitSchema } from '../rate-limit/rate-limit.js';
import { configSchema, type PolicyInput, policySchema } from './config.schema.js';
import type { ConfigProblem } from './config-problem.js';
import { type ParsedConsumers, policyConsumers } from './policy-consumers.js';
import { type PolicyWindowsCheck, policyWindows } from './policy-windows.js';
import { takePrototypeKeys } from './prototype-keys.js';
import type { PolicyConfig, Schedule } from './rotor-config.js';
import { shortestCronGapMs } from './schedule.schema.js';
import type { YamlSource } from './yaml-source.js';
import { problemsFromZod } from './zod-problems.js';

type Sections = z.infer<typeof configSchema>;
const DEFAULT_GRACE_MS = 60 * 60 * 1000;
const DEFAULT_CONNECTION_TIMEOUT_MS = 30_000;
const connectionTimeoutSchema = durationSchema
  .refine((ms) => ms >= 100 && ms <= 600_000, { message: 'expected a duration between 100ms and 10m' })
  .default(DEFAULT_CONNECTION_TIMEOUT_MS);

export interface ParsedConnection {
  readonly name: string;
  readonly provider: AnyProvider;
  /** Parsed by the provider's schema; secret references not yet resolved. */
  readonly settings: unknown;
  /** rotor's client-side limit for this connection's calls: configured, else the provider's documented quota. */
  readonly rateLimit: RateLimit | undefined;
  /** Deadline of one call to the vendor, response body included. */
  readonly timeoutMs: number;
}

/** A policy as it will run, but for its connection: named here, resolved with its secret references later. */
export interface ParsedPolicy extends Omit<PolicyConfig, 'connection' | 'consumers'> {
  readonly connection: string;
  readonly consumers?: ParsedConsumers;
}

export interface ParsedConfig {
  readonly sections: Omit<Sections, 'connections' | 'policies' | 'rotationWindows'>;
  readonly connections: ReadonlyMap<string, ParsedConnection>;
  readonly policies: readonly ParsedPolicy[];
  /** What is allowed but likely unwise (`rotor validate` prints them; the daemon logs them). */
  readonly warnings: readonly ConfigProblem[];
}

const sectionNames = Object.keys(configSchema.shape) as (keyof Sections)[];

/**
 * Parses each section on its own, so one broken section does not hide the problems of the others, then checks
 * what spans sections: connections against their providers, policies against their connections.
 */
export function buildConfig(
  source: YamlSource,
  nowMs: number,
): { config?: ParsedConfig; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const raw = source.value;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { problems: [source.problem([], `expected a mapping with ${sectionNames.join(', ')}`)] };
  }
  const document = raw as Record<string, unknown>;
  for (const path of takePrototypeKeys(document)) {
    problems.push(source.problem(path, 'the key "__proto__" is not allowed'));
  }
  for (const key of Object.keys(document)) {
    if (!sectionNames.includes(key as keyof Sections))
      problems.push(source.problem([key], `unknown key "${key}"`));
  }
  const parseSection = <K extends keyof Sections>(name: K): Sections[K] | undefined => {
    const parsed = configSchema.shape[name].safeParse(document[name]);
    if (parsed.success) return parsed.data as Sections[K];
    problems.push(...problemsFromZod(source, [name], parsed.error));
    return undefined;
  };
  const redis = parseSection('redis');
  const journal = parseSection('journal');
  const worker = parseSection('worker');
  const api = parseSection('api');
  const alerts = parseSection('alerts');
  const sink = parseSection('sink');
  const connectionInputs = parseSection('connections');
  const rotationWindows = parseSection('rotationWindows');
  if (journal && !Object.hasOwn(journal.keys, journal.active)) {
    problems.push(
      source.problem(
        ['journal', 'active'],
        `expected the id of a key in journal.keys (${Object.keys(journal.keys).join(', ')})`,
      ),
    );
  }

  const connections = new Map<string, ParsedConnection>();
  for (const [name, input] of Object.entries(connectionInputs ?? {})) {
    const provider = findProvider(input.provider);
    if (!provider) {
      problems.push(
        source.problem(
          ['connections', name, 'provider'],
          `unknown provider "${input.provider}"; expected one of ${Object.keys(providers).join(', ')}`,
        ),
      );
      continue;
    }
    const { provider: _id, rateLimit: rateLimitInput, timeout: timeoutInput, ...rest } = input;
    const rateLimit = rateLimitInput === undefined ? undefined : rateLimitSchema.safeParse(rateLimitInput);
    if (rateLimit?.success === false) {
      problems.push(...problemsFromZod(source, ['connections', name, 'rateLimit'], rateLimit.error));
    }
    const timeout = connectionTimeoutSchema.safeParse(timeoutInput);
    if (!timeout.success) {
      problems.push(...problemsFromZod(source, ['connections', name, 'timeout'], timeout.error));
    }
    const parsed = provider.schemas.connection.safeParse(rest);
    if (!parsed.success) problems.push(...problemsFromZod(source, ['connections', name], parsed.error));
    else if (rateLimit?.success !== false && timeout.success) {
      const configured = rateLimit?.data;
      connections.set(name, {
        name,
        provider,
        settings: parsed.data,
        rateLimit: configured === false ? undefined : (configured ?? provider.rateLimit),
        timeoutMs: timeout.data,
      });
    }
  }

  const windowsCheck = policyWindows(source, rotationWindows, problems);
  const warnings: ConfigProblem[] = [];
  const policies = parsePolicies(
    source,
    document.policies,
    {
      connections,
      connectionInputs,
      windowsCheck,
      realAws: sink !== undefined && isRealAws(sink.endpoint),
      // An api section that failed to parse has its own problem: its consumers are not blamed for it too.
      apiConfigured: api !== undefined || document.api !== undefined,
    },
    nowMs,
    { problems, warnings },
  );
  if (!redis || !journal || !worker || !sink || !connectionInputs || problems.length > 0) return { problems };
  const sections = {
    redis,
    journal,
    worker,
    sink,
    ...(api === undefined ? {} : { api }),
    ...(alerts === undefined ? {} : { alerts }),
  };
  return { config: { sections, connections, policies, warnings }, problems };
}

/** What policies are checked against: the connections as parsed and as written, and the default windows. */
interface PolicyContext {
  readonly connections: ReadonlyMap<string, ParsedConnection>;
  readonly connectionInputs: Sections['connections'] | undefined;
  readonly windowsCheck: PolicyWindowsCheck;
  /** The config has an api: section (ack consumers post to it). */
  readonly apiConfigured: boolean;
  /** The sink writes to AWS itself (no endpoint, or an amazonaws.com one), not to an emulator. */
  readonly realAws: boolean;
}

/** AWS's guidance: versions written faster than this pile up faster than AWS removes deprecated ones. */
const MIN_AWS_WRITE_INTERVAL_MS = 10 * 60_000;

function isRealAws(endpoint: string | undefined): boolean {
  if (endpoint === undefined) return true;
  return /(^|\.)amazonaws\.com(\.cn)?$/.test(new URL(endpoint).hostname);
}

function frequentWriteWarning(secretId: string, intervalMs: number): string {
  return `writes a new version of AWS secret "${secretId}" as often as every ${formatDuration(intervalMs)}; AWS advises at most one every 10 minutes: it removes versions beyond 100 only once they are a day old, so faster writes accumulate versions until the secret reaches its version quota. Rotate less often; for short-lived tokens such as Moov access tokens (minutes), rotate the long-lived credential they are minted from and let consumers mint the short-lived token themselves`;
}

function parsePolicies(
  source: YamlSource,
  input: unknown,
  { connections, connectionInputs, windowsCheck, realAws, apiConfigured }: PolicyContext,
  nowMs: number,
  { problems, warnings }: { problems: ConfigProblem[]; warnings: ConfigProblem[] },
): ParsedPolicy[] {
  if (!Array.isArray(input)) {
    problems.push(source.problem(['policies'], 'expected a list of policies'));
    return [];
  }
  const policies: ParsedPolicy[] = [];
  // Fleets share a handful of schedules: each cron's gap is computed once per load, not once per policy.
  const cronGaps = new Map<string, number>();
  const intervalOf = (policy: PolicyInput): number | undefined => {
    const { cron, tz = 'UTC', every } = policy.schedule;
    if (every !== undefined) return every;
    if (cron === undefined) return undefined;
    const key = `${tz} ${cron}`;
    const known = cronGaps.get(key);
    if (known !== undefined) return known;
    const gap = shortestCronGapMs(cron, tz, nowMs);
    cronGaps.set(key, gap);
    return gap;
  };
  const seenIds = new Map<string, number>();
  const seenSecrets = new Map<string, string>();
  input.forEach((item: unknown, index) => {
    const at = (...path: (string | number)[]) => ['policies', index, ...path];
    const parsed = policySchema.safeParse(item);
    if (!parsed.success) {
      problems.push(...problemsFromZod(source, ['policies', index], parsed.error));
      return;
    }
    const policy = parsed.data;
    const duplicateOf = seenIds.get(policy.id);
    if (duplicateOf !== undefined)
      problems.push(
        source.problem(at('id'), `duplicate policy id "${policy.id}" (also policies[${duplicateOf}])`),
      );
    seenIds.set(policy.id, index);
    const sharedWith = seenSecrets.get(policy.secret.id);
    if (sharedWith !== undefined) {
      problems.push(
        source.problem(
          at('secret', 'id'),
          `secret "${policy.secret.id}" is already written by policy ${sharedWith}`,
        ),
      );
    }
    seenSecrets.set(policy.secret.id, policy.id);

    const connection = connections.get(policy.connection);
    if (!connection) {
      // A connection that exists but is broken already has its own problems.
      if (!connectionInputs || !Object.hasOwn(connectionInputs, policy.connection)) {
        const known = Object.keys(connectionInputs ?? {});
        problems.push(
          source.problem(
            at('connection'),
            `unknown connection "${policy.connection}"; defined: ${known.join(', ') || 'none'}`,
          ),
        );
      }
      return;
    }
    const { provider } = connection;
    const action = Object.hasOwn(provider.actions, policy.action)
      ? provider.actions[policy.action]
      : undefined;
    if (!action) {
      problems.push(
        source.problem(
          at('action'),
          `provider ${provider.id} has no action "${policy.action}"; expected one of ${Object.keys(provider.actions).join(', ')}`,
        ),
      );
      return;
    }
    const target = provider.schemas.target.safeParse(policy.target);
    if (!target.success) {
      problems.push(...problemsFromZod(source, at('target'), target.error));
      return;
    }
    for (const message of action.check?.(connection.settings, target.data) ?? []) {
      problems.push(source.problem(at('action'), message));
    }
    let verify: unknown;
    if (policy.verify !== undefined) {
      const schema = provider.schemas.verify;
      if (!schema)
        problems.push(source.problem(at('verify'), `provider ${provider.id} takes no verify settings`));
      else {
        const parsedVerify = schema.safeParse(policy.verify);
        if (parsedVerify.success) verify = parsedVerify.data;
        else problems.push(...problemsFromZod(source, at('verify'), parsedVerify.error));
      }
    }
    const intervalMs = intervalOf(policy);
    if (policy.gracePeriod !== undefined && intervalMs !== undefined && policy.gracePeriod > intervalMs) {
      problems.push(
        source.problem(
          at('gracePeriod'),
          `expected at most the schedule's interval (${intervalMs} ms): the next rotation would displace a credential still in its grace period`,
        ),
      );
    }
    if (
      realAws &&
      intervalMs !== undefined &&
      intervalMs < MIN_AWS_WRITE_INTERVAL_MS &&
      !policy.schedule.paused
    )
      warnings.push(source.problem(at('schedule'), frequentWriteWarning(policy.secret.id, intervalMs)));
    const windows = windowsCheck(policy.windows, at('windows'));
    // Default: an hour for consumers to pick up the new secret, but never beyond the next rotation.
    const gracePeriodMs = policy.gracePeriod ?? Math.min(DEFAULT_GRACE_MS, intervalMs ?? DEFAULT_GRACE_MS);
    const consumers = policyConsumers(
      source,
      policy,
      action.capability,
      gracePeriodMs,
      { apiConfigured, at },
      problems,
    );
    // Fresh literals of one shape each: the parser's output dies young instead of outliving the load.
    policies.push({
      id: policy.id,
      connection: policy.connection,
      action: policy.action,
      capability: action.capability,
      target: target.data,
      schedule: scheduleOf(policy.schedule),
      jitterMs: policy.schedule.jitter,
      ...(windows === undefined ? {} : { windows }),
      paused: policy.schedule.paused,
      gracePeriodMs,
      verify,
      secret: Object.freeze({ id: policy.secret.id, adopt: policy.secret.adopt }),
      retry: Object.freeze({
        attempts: policy.retry.attempts,
        backoffMs: policy.retry.backoff,
        maxBackoffMs: policy.retry.maxBackoff,
        needsAttentionAfter: policy.retry.needsAttentionAfter,
      }),
      ...(consumers === undefined ? {} : { consumers }),
    });
  });
  return policies;
}

function scheduleOf({ cron, tz, every, beforeExpiry }: PolicyInput['schedule']): Schedule {
  if (cron !== undefined) return Object.freeze({ kind: 'cron', pattern: cron, tz: tz ?? 'UTC' });
  if (every !== undefined) return Object.freeze({ kind: 'every', everyMs: every });
  if (beforeExpiry !== undefined) return Object.freeze({ kind: 'beforeExpiry', leadMs: beforeExpiry });
  return Object.freeze({ kind: 'manual' });
}
