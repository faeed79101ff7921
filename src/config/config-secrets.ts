import { Secret } from '../domain/secret.js';
import { SecretRedactor } from '../domain/secret-redactor.js';
import type { RotorConfig } from './rotor-config.js';

/**
 * Every secret value a loaded config holds, for redaction: whatever was resolved from a secret reference
 * (found by its `Secret` type, so a new reference anywhere is covered) — connections' credentials, the AWS
 * credentials, Redis passwords, API tokens, alert webhook URLs and secrets, the journal keys (as base64 and
 * hex), consumers' reload-hook signing secrets and ack tokens — plus what providers derive from their
 * connections' secrets and send (an HTTP Basic token). Of a policy only its consumers hold secret
 * references, so a fleet's policies are not walked whole.
 */
export function configSecrets(config: RotorConfig): string[] {
  const values: string[] = [];
  const collect = (value: unknown): void => {
    if (value instanceof Secret) {
      const revealed: unknown = value.reveal();
      if (typeof revealed === 'string') values.push(revealed);
      else if (Buffer.isBuffer(revealed)) values.push(revealed.toString('base64'), revealed.toString('hex'));
    } else if (Array.isArray(value)) {
      for (const item of value) collect(item);
    } else if (value instanceof Map) {
      for (const item of value.values()) collect(item);
    } else if (
      typeof value === 'object' &&
      value !== null &&
      Object.getPrototypeOf(value) === Object.prototype
    ) {
      for (const item of Object.values(value)) collect(item);
    }
  };
  for (const connection of config.connections.values()) {
    collect(connection.settings);
    values.push(...(connection.provider.derivedSecrets?.(connection.settings) ?? []));
  }
  collect(config.sink);
  collect(config.redis);
  collect(config.journal.keys);
  collect(config.alerts);
  collect(config.api);
  for (const policy of config.policies) {
    if (policy.consumers) collect(policy.consumers.list);
  }
  return values;
}

/** A redactor holding the config's secrets: what a one-shot command redacts its output with. */
export function configRedactor(config: RotorConfig): SecretRedactor {
  const redactor = new SecretRedactor();
  redactor.scope().hold(configSecrets(config));
  return redactor;
}
