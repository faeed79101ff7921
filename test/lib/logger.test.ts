import { describe, expect, it } from 'vitest';
import { httpFailure } from '../../src/domain/classify-http.js';
import { Secret } from '../../src/domain/secret.js';
import { memoryLogger } from '../support/memory-log.js';

const value = 'bdd31cbc4dec990953e39163fbbb194c93313ca9f0a6e420346af9d326b1d2a5';

describe('logger', () => {
  it('prints a Secret as [secret]', () => {
    const { log, text } = memoryLogger();
    log.info({ credential: Secret.of(value), nested: { deeper: Secret.of(value) } }, 'issued');
    expect(text()).toContain('[secret]');
    expect(text()).not.toContain(value);
  });

  it.each([
    'token',
    'clientSecret',
    'client_secret',
    'apiToken',
    'authorization',
    'SecretString',
    'refresh_token',
  ])('redacts a plain value under %s, at the top and one level down', (key) => {
    const { log, text } = memoryLogger();
    log.info({ [key]: value, body: { [key]: value } }, 'oops');
    expect(text()).not.toContain(value);
    expect(text()).toContain('[redacted]');
  });

  it.each(['authorization', 'x-auth-key', 'cf-access-client-secret'])(
    'redacts the %s header of a logged headers object',
    (header) => {
      const { log, text } = memoryLogger();
      log.info({ headers: { [header]: value, accept: 'application/json' } }, 'request');
      expect(text()).not.toContain(value);
      expect(text()).toContain('application/json');
    },
  );

  it("redacts a child logger's bindings as it redacts a line, in the child's children too", () => {
    const { log, text } = memoryLogger();
    const child = log.child({ token: value, call: { apiKey: value, operation: 'rotate' } });
    child.info('from the child');
    child.child({ step: 'issue', clientSecret: value }).info('from its child');
    expect(text()).not.toContain(value);
    expect(text()).toContain('"operation":"rotate"');
    expect(text()).toContain('"step":"issue"');
  });

  it('logs an error as name, message, kind and details only', () => {
    const { log, lines } = memoryLogger();
    const error = Object.assign(httpFailure({ system: 'cloudflare', operation: 'rotate', status: 500 }), {
      config: { headers: { authorization: `Bearer ${value}` } },
    });
    log.error({ err: error }, 'rotation failed');
    const entry = JSON.parse(lines()[0] ?? '{}');
    expect(entry.err).toEqual({
      name: 'RotationError',
      message: 'cloudflare rotate failed with HTTP 500',
      kind: 'transient',
      details: { system: 'cloudflare', operation: 'rotate', status: 500 },
    });
    expect(lines().join('')).not.toContain(value);
  });
});
