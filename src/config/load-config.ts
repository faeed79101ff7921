import { fingerprint } from '../domain/ids.js';
import { Secret } from '../domain/secret.js';
import type { Resolved } from '../domain/secret-reference.js';
import { type FileCap, readBoundedFile, readFailureDetail } from '../lib/read-bounded-file.js';
import { signingSecretProblem } from '../lib/webhook-signing.js';
import type { AwsSecretsManagerSettings } from '../sinks/aws-secrets-manager/aws-sm.settings.js';
import { buildConfig, type ParsedConfig } from './build-config.js';
import type { ConfigProblem } from './config-problem.js';
import { CONFIG_FILE_CAP, SECRET_FILE_CAP } from './file-caps.js';
import { resolveConsumers } from './policy-consumers.js';
import { type ReferenceResolver, resolveReferences } from './resolve-references.js';
import type {
  AlertEndpointConfig,
  ApiTokenConfig,
  ConnectionConfig,
  PolicyConfig,
  PolicyConsumers,
  RotorConfig,
} from './rotor-config.js';
import { parseYaml, type YamlSource } from './yaml-source.js';

const MIN_API_TOKEN_LENGTH = 24;

export type LoadResult =
  | {
      readonly ok: true;
      readonly config: RotorConfig;
      /** Allowed but likely unwise: printed by `rotor validate`, logged by the daemon. */
      readonly warnings: readonly ConfigProblem[];
    }
  | { readonly ok: false; readonly problems: readonly ConfigProblem[] };

export interface LoadOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Reads `{ awsSecret, key }` references with the config's own sink settings; called only when one is used. */
  readonly awsSecretReader: (sink: Resolved<AwsSecretsManagerSettings>) => {
    read(secretId: string, key: string): Promise<Secret<string>>;
    close(): void;
  };
  /** Reads the config file and `{ file }` references; by default regular files only, of at most `cap` bytes. */
  readonly readFile?: (path: string, cap: FileCap) => Promise<string>;
  readonly nowMs?: number;
}

/** Reads, parses, checks and resolves a config file: every problem at once, or the typed config. */
export async function loadConfig(file: string, options: LoadOptions): Promise<LoadResult> {
  const read = options.readFile ?? readBoundedFile;
  let text: string;
  try {
    text = await read(file, CONFIG_FILE_CAP);
  } catch (error) {
    return {
      ok: false,
      problems: [{ file, path: '', message: `cannot read the config file${readFailureDetail(error)}` }],
    };
  }
  const { source, problems: syntax } = parseYaml(file, text);
  if (syntax.length > 0) return { ok: false, problems: syntax };
  const built = buildConfig(source, options.nowMs ?? Date.now());
  if (!built.config) return { ok: false, problems: built.problems };
  return resolveConfig(source, built.config, options, read);
}

async function resolveConfig(
  source: YamlSource,
  parsed: ParsedConfig,
  options: LoadOptions,
  read: (path: string, cap: FileCap) => Promise<string>,
): Promise<LoadResult> {
  const problems: ConfigProblem[] = [];
  const { redis, journal, worker, sink, api, alerts } = parsed.sections;
  const baseResolver = { env: options.env, readFile: (path: string) => read(path, SECRET_FILE_CAP) };
  const noAws = async (): Promise<Secret<string>> => {
    throw new Error('unreachable: AWS references are refused here');
  };
  const resolvedSink = (await resolveReferences(sink, ['sink'], {
    source,
    resolver: { ...baseResolver, readAwsSecret: noAws },
    problems,
    forbidAws: true,
  })) as Resolved<AwsSecretsManagerSettings>;

  let reader: ReturnType<LoadOptions['awsSecretReader']> | undefined;
  const resolver: ReferenceResolver = {
    ...baseResolver,
    readAwsSecret: (secretId, key) => {
      if (problems.length > 0) return Promise.reject(new Error('not read: the sink settings have problems'));
      reader ??= options.awsSecretReader(resolvedSink);
      return reader.read(secretId, key);
    },
  };
  const context = { source, resolver, problems };
  try {
    const password = await resolveReferences(redis.password, ['redis', 'password'], context);
    const sentinelPassword = await resolveReferences(
      redis.sentinelPassword,
      ['redis', 'sentinelPassword'],
      context,
    );
    const keys = new Map<string, Secret<Buffer>>();
    for (const [id, reference] of Object.entries(journal.keys)) {
      const key = (await resolveReferences(reference, ['journal', 'keys', id], context)) as
        | Secret<string>
        | undefined;
      if (!key) continue;
      const bytes = key.map((text) => Buffer.from(text, 'base64'));
      const valid = /^[A-Za-z0-9+/]+={0,2}$/.test(key.reveal()) && bytes.reveal().length === 32;
      if (valid) keys.set(id, bytes);
      else
        problems.push(
          source.problem(
            ['journal', 'keys', id],
            'expected base64 of exactly 32 random bytes (openssl rand -base64 32)',
          ),
        );
    }
    const apiTokens: ApiTokenConfig[] = [];
    for (const [index, entry] of (api?.tokens ?? []).entries()) {
      const path = entry.name === undefined ? ['api', 'tokens', index] : ['api', 'tokens', index, 'token'];
      const token = (await resolveReferences(entry.token, path, context)) as Secret<string> | undefined;
      if (!token) continue;
      if (token.reveal().length >= MIN_API_TOKEN_LENGTH)
        apiTokens.push({ name: entry.name ?? fingerprint(token.reveal()), token });
      else
        problems.push(
          source.problem(
            path,
            `expected a token of at least ${MIN_API_TOKEN_LENGTH} characters (openssl rand -base64 32)`,
          ),
        );
    }
    const alertEndpoints: AlertEndpointConfig[] = [];
    for (const [index, endpoint] of (alerts?.endpoints ?? []).entries()) {
      const path = ['alerts', 'endpoints', index];
      const url =
        typeof endpoint.url === 'string'
          ? Secret.of(endpoint.url)
          : ((await resolveReferences(endpoint.url, [...path, 'url'], context)) as
              | Secret<string>
              | undefined);
      const secret = (await resolveReferences(endpoint.secret, [...path, 'secret'], context)) as
        | Secret<string>
        | undefined;
      if (url && typeof endpoint.url !== 'string' && !/^https?:\/\//.test(url.reveal())) {
        problems.push(source.problem([...path, 'url'], 'expected the referenced value to be an http(s) URL'));
      }
      const secretProblem = secret === undefined ? undefined : signingSecretProblem(secret);
      if (secretProblem) problems.push(source.problem([...path, 'secret'], secretProblem));
      if (!url) continue;
      alertEndpoints.push({
        name: endpoint.name,
        url,
        secret,
        format: endpoint.format,
        events: new Set(endpoint.events),
        timeoutMs: endpoint.timeout,
        attempts: endpoint.attempts,
      });
    }
    const connections = new Map<string, ConnectionConfig>();
    for (const connection of parsed.connections.values()) {
      const settings = await resolveReferences(
        connection.settings,
        ['connections', connection.name],
        context,
      );
      connections.set(
        connection.name,
        Object.freeze({
          name: connection.name,
          provider: connection.provider,
          settings,
          rateLimit: connection.rateLimit,
          timeoutMs: connection.timeoutMs,
        }),
      );
    }
    if (problems.length > 0) return { ok: false, problems };

    const resolvedConsumers = new Map<string, PolicyConsumers>();
    for (const [index, policy] of parsed.policies.entries()) {
      if (policy.consumers === undefined) continue;
      const consumers = await resolveConsumers(policy.consumers, ['policies', index, 'consumers'], context);
      if (consumers) resolvedConsumers.set(policy.id, consumers);
    }
    if (problems.length > 0) return { ok: false, problems };

    const policies = parsed.policies.map((policy): PolicyConfig => {
      const connection = connections.get(policy.connection);
      if (!connection) throw new Error(`policy ${policy.id} lost its connection while resolving`);
      const consumers = resolvedConsumers.get(policy.id);
      return Object.freeze({
        id: policy.id,
        connection,
        action: policy.action,
        capability: policy.capability,
        target: policy.target,
        schedule: policy.schedule,
        jitterMs: policy.jitterMs,
        ...(policy.windows === undefined ? {} : { windows: policy.windows }),
        paused: policy.paused,
        gracePeriodMs: policy.gracePeriodMs,
        verify: policy.verify,
        secret: policy.secret,
        retry: policy.retry,
        ...(consumers === undefined ? {} : { consumers }),
      });
    });
    const config: RotorConfig = {
      file: source.file,
      redis: {
        ...(redis.sentinels === undefined || redis.name === undefined
          ? { url: redis.url ?? '' }
          : {
              sentinel: {
                sentinels: redis.sentinels,
                name: redis.name,
                tls: redis.tls ?? false,
                ...(sentinelPassword === undefined
                  ? {}
                  : { sentinelPassword: sentinelPassword as Secret<string> }),
              },
            }),
        prefix: redis.prefix,
        replicaWait: { mode: redis.replicaWait.mode, timeoutMs: redis.replicaWait.timeout },
        ...(password === undefined ? {} : { password: password as Secret<string> }),
      },
      journal: { keys, activeKeyId: journal.active },
      worker: {
        concurrency: worker.concurrency,
        lockDurationMs: worker.lockDuration,
        stalledIntervalMs: worker.stalledInterval,
        maxStalledCount: worker.maxStalledCount,
      },
      sink: resolvedSink,
      ...(api === undefined
        ? {}
        : {
            api: {
              host: api.host,
              port: api.port,
              tokens: apiTokens,
              limits: {
                headersTimeoutMs: api.headersTimeout,
                requestTimeoutMs: api.requestTimeout,
                keepAliveTimeoutMs: api.keepAliveTimeout,
                connectionTimeoutMs: api.connectionTimeout,
                maxConnections: api.maxConnections,
              },
              dashboard: api.dashboard,
            },
          }),
      ...(alerts === undefined
        ? {}
        : {
            alerts: {
              expiringWithinMs: alerts.expiringWithin,
              endpoints: alertEndpoints,
            },
          }),
      connections,
      policies: Object.freeze(policies),
    };
    return { ok: true, config: Object.freeze(config), warnings: parsed.warnings };
  } finally {
    reader?.close();
  }
}
