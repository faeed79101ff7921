import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { stepContext } from '../../../test/support/step-context.js';
import { RotationError } from '../../domain/errors.js';
import { Secret } from '../../domain/secret.js';
import type { Fault } from '../../emulator-harness/fault-plan.js';
import { CloudflareAccessApi } from './cloudflare.api.js';
import { type RunningCloudflareEmulator, startCloudflareEmulator } from './cloudflare.emulator.js';

let emulator: RunningCloudflareEmulator;
const clock = { now: () => Date.parse('2026-11-24T10:00:00Z') };

beforeAll(async () => {
  emulator = await startCloudflareEmulator({ clock });
});
afterAll(() => emulator.server.close());
beforeEach(() => emulator.server.faults.clear());

const connection = (overrides: Record<string, unknown> = {}) => ({
  accountId: emulator.admin.accountId,
  apiToken: Secret.of(emulator.admin.apiToken),
  baseUrl: emulator.client.baseUrl ?? '',
  ...overrides,
});
const api = (overrides: Record<string, unknown> = {}, timeoutMs = 2_000) =>
  new CloudflareAccessApi(connection(overrides), stepContext(clock, timeoutMs));

async function failureOf(promise: Promise<unknown>): Promise<RotationError> {
  const failure = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(failure instanceof RotationError))
    throw new Error(`expected a RotationError, got ${String(failure)}`);
  return failure;
}

describe("rotor's Cloudflare client", () => {
  it('creates, gets, updates, refreshes, rotates and deletes a token', async () => {
    const created = await api().create({ name: 'client-test', duration: '24h' });
    expect(String(created.clientSecret)).toBe('[secret]');
    const id = created.token.id;
    expect((await api().get(id)).name).toBe('client-test');
    expect((await api().update(id, { name: 'renamed' })).token.name).toBe('renamed');
    expect((await api().refresh(id)).expires_at).toBeDefined();
    const rotated = await api().rotate(id, new Date(clock.now() + 60_000));
    expect(rotated.clientSecret.reveal()).not.toBe(created.clientSecret.reveal());
    await api().delete(id);
    expect((await failureOf(api().get(id))).kind).toBe('not-found');
  });

  it('lists every token across pages', async () => {
    for (let i = 0; i < 105; i++) emulator.seedToken({ name: `bulk-${i}` });
    const listed = await api().list({ search: 'bulk-' });
    expect(listed).toHaveLength(105);
  });

  it('works with the global API key', async () => {
    const keyed = api({
      apiToken: undefined,
      email: emulator.admin.email,
      apiKey: Secret.of(emulator.admin.apiKey),
    });
    expect(await keyed.list()).toBeInstanceOf(Array);
  });

  it.each<[string, Fault, string, Record<string, unknown>]>([
    ['a 500', { kind: 'status', status: 500 }, 'transient', { status: 500, vendorCode: '10001' }],
    [
      'a 429 with Retry-After',
      { kind: 'rate-limit', retryAfterSeconds: 30 },
      'rate-limited',
      { status: 429, retryAfterMs: 30_000 },
    ],
    ['a malformed body', { kind: 'malformed' }, 'protocol', { status: 200 }],
    ['a dropped connection', { kind: 'drop' }, 'transient', {}],
    ['a delay beyond the timeout', { kind: 'delay', delayMs: 1_500 }, 'transient', {}],
  ])('classifies %s', async (_, fault, kind, details) => {
    const { id } = emulator.seedToken({ name: 'faulty' });
    emulator.server.faults.add({ route: 'getServiceToken', fault, times: 1 });
    const failure = await failureOf(api({}, 500).get(id));
    expect(failure.kind).toBe(kind);
    expect(failure.details).toMatchObject({
      system: 'cloudflare',
      operation: 'get service token',
      ...details,
    });
  });

  it('classifies a wrong token as auth, with the vendor code', async () => {
    const failure = await failureOf(api({ apiToken: Secret.of('wrong-token') }).list());
    expect(failure).toMatchObject({ kind: 'auth', details: { status: 401, vendorCode: '1000' } });
    expect(failure.message).toBe(
      'cloudflare list service tokens failed with HTTP 401 (code 1000: Invalid API Token)',
    );
  });

  it('classifies another account as auth (403)', async () => {
    const failure = await failureOf(api({ accountId: '0'.repeat(32) }).list());
    expect(failure).toMatchObject({ kind: 'auth', details: { status: 403, vendorCode: '10000' } });
  });

  it('classifies an invalid request as invalid-config', async () => {
    const failure = await failureOf(api().create({ name: 'bad', duration: '7d' }));
    expect(failure).toMatchObject({ kind: 'invalid-config', details: { status: 400, vendorCode: '12130' } });
  });

  it('never carries the admin token or a client secret into an error', async () => {
    const created = await api().create({ name: 'leak-check' });
    emulator.server.faults.add({ route: '*', fault: { kind: 'status', status: 503 }, times: 1 });
    const failure = await failureOf(api().rotate(created.token.id, new Date(clock.now())));
    const rendered = `${failure.message} ${JSON.stringify(failure)} ${String(failure.stack)}`;
    expect(rendered).not.toContain(emulator.admin.apiToken);
    expect(rendered).not.toContain(created.clientSecret.reveal());
  });
});
