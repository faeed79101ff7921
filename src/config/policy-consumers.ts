import type { Secret } from '../domain/secret.js';
import type { SecretReference } from '../domain/secret-reference.js';
import { signingSecretProblem } from '../lib/webhook-signing.js';
import type { Capability } from '../providers/provider.js';
import type { PolicyInput } from './config.schema.js';
import type { ConfigProblem, PathSegment } from './config-problem.js';
import type { ReferenceResolver } from './resolve-references.js';
import { resolveReferences } from './resolve-references.js';
import type { ConsumerConfig, PolicyConsumers } from './rotor-config.js';
import type { YamlSource } from './yaml-source.js';

/** A policy's consumers as parsed: their secrets still references, resolved by the loader. */
export interface ParsedConsumers {
  readonly list: NonNullable<PolicyInput['consumers']>;
  readonly maxGraceMs: number;
  readonly onUnconfirmed: 'hold' | 'revoke';
}

const DEFAULT_MAX_GRACE_MS = 7 * 24 * 3_600_000;
/** An ack token is a bearer credential: as long as an API token at least. */
export const MIN_ACK_TOKEN_LENGTH = 24;

/**
 * Checks a policy's consumers against its action: confirmations gate the revoke of a displaced credential
 * (overlap) or raise an alert before it dies (native-grace); an extend action displaces nothing to confirm.
 */
export function policyConsumers(
  source: YamlSource,
  policy: PolicyInput,
  capability: Capability,
  gracePeriodMs: number,
  context: { readonly apiConfigured: boolean; readonly at: (...path: PathSegment[]) => PathSegment[] },
  problems: ConfigProblem[],
): ParsedConsumers | undefined {
  const { at } = context;
  const list = policy.consumers ?? [];
  list.forEach((consumer, index) => {
    if (consumer.confirm && 'ack' in consumer.confirm && !context.apiConfigured)
      problems.push(
        source.problem(
          at('consumers', index, 'confirm', 'ack'),
          'a consumer that confirms by ack posts to rotor’s HTTP API: configure an api: section',
        ),
      );
  });
  if (capability === 'native-grace') {
    for (const key of ['maxGrace', 'onUnconfirmed'] as const) {
      if (policy[key] !== undefined)
        problems.push(
          source.problem(
            at(key),
            `action "${policy.action}" lets the vendor expire the displaced secret at the grace period's end: nothing waits or holds; a longer gracePeriod gives consumers more time`,
          ),
        );
    }
  }
  const confirming = list.filter((consumer) => consumer.confirm !== undefined);
  if (confirming.length === 0) {
    for (const key of ['maxGrace', 'onUnconfirmed'] as const) {
      if (policy[key] !== undefined)
        problems.push(source.problem(at(key), `applies only to a policy with a consumer that confirms`));
    }
  }
  if (capability === 'extend') {
    list.forEach((consumer, index) => {
      if (consumer.confirm !== undefined)
        problems.push(
          source.problem(
            at('consumers', index, 'confirm'),
            `action "${policy.action}" extends the credential it has: no credential is displaced, so there is nothing to confirm`,
          ),
        );
    });
  }
  const maxGraceMs = policy.maxGrace ?? Math.max(DEFAULT_MAX_GRACE_MS, gracePeriodMs);
  if (maxGraceMs < gracePeriodMs)
    problems.push(
      source.problem(at('maxGrace'), `expected at least the policy's gracePeriod (${gracePeriodMs} ms)`),
    );
  if (list.length === 0) return undefined;
  return { list, maxGraceMs, onUnconfirmed: policy.onUnconfirmed ?? 'hold' };
}

/** Resolves the consumers' secret references; each unusable one is reported at its YAML path. */
export async function resolveConsumers(
  parsed: ParsedConsumers,
  path: readonly PathSegment[],
  context: { source: YamlSource; resolver: ReferenceResolver; problems: ConfigProblem[] },
): Promise<PolicyConsumers | undefined> {
  const list: ConsumerConfig[] = [];
  const resolve = async (reference: SecretReference, at: readonly PathSegment[]) =>
    (await resolveReferences(reference, at, context)) as Secret<string> | undefined;
  for (const [index, input] of parsed.list.entries()) {
    const at = [...path, index];
    let reload: ConsumerConfig['reload'];
    if (input.reload) {
      const secret = await resolve(input.reload.secret, [...at, 'reload', 'secret']);
      const problem = secret === undefined ? undefined : signingSecretProblem(secret);
      if (problem) context.problems.push(context.source.problem([...at, 'reload', 'secret'], problem));
      else if (secret)
        reload = {
          url: input.reload.url,
          secret,
          timeoutMs: input.reload.timeout,
          attempts: input.reload.attempts,
        };
    }
    let confirm: ConsumerConfig['confirm'];
    if (input.confirm && 'ack' in input.confirm) {
      const token = await resolve(input.confirm.ack, [...at, 'confirm', 'ack']);
      if (token && token.reveal().length < MIN_ACK_TOKEN_LENGTH)
        context.problems.push(
          context.source.problem(
            [...at, 'confirm', 'ack'],
            `expected a token of at least ${MIN_ACK_TOKEN_LENGTH} characters (openssl rand -base64 32)`,
          ),
        );
      else if (token) confirm = { kind: 'ack', token };
    } else if (input.confirm) {
      const { poll, field, header, every, timeout } = input.confirm;
      confirm = {
        kind: 'poll',
        url: poll,
        ...(header === undefined ? { field: field ?? 'versionId' } : { header }),
        everyMs: every,
        timeoutMs: timeout,
      };
    }
    list.push(
      Object.freeze({
        name: input.name,
        ...(reload === undefined ? {} : { reload }),
        ...(confirm === undefined ? {} : { confirm }),
      }),
    );
  }
  return Object.freeze({ list, maxGraceMs: parsed.maxGraceMs, onUnconfirmed: parsed.onUnconfirmed });
}
