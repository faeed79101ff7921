import { afterAll, beforeAll, expect, it } from 'vitest';
import { configSecrets } from '../../src/config/config-secrets.js';
import { manualRunId } from '../../src/domain/ids.js';
import { SecretRedactor } from '../../src/domain/secret-redactor.js';
import { runRotation } from '../../src/engine/run-rotation.js';
import { startTagoioFixture } from '../providers/tagoio.fixture.js';
import { type EngineWorld, openEngineWorld } from '../support/engine-world.js';
import { memoryLogger } from '../support/memory-log.js';

let engine: EngineWorld;
const logged = memoryLogger('info');

beforeAll(async () => {
  engine = await openEngineWorld(
    startTagoioFixture,
    [{ id: 'tago-logs', options: { gracePeriod: '1h' } }],
    logged.log,
  );
});

afterAll(async () => {
  await engine?.close();
});

it('a provider logs within its step: its lines carry the policy, the run and the step', async () => {
  await engine.rotate('tago-logs', manualRunId('tago-logs', 1_000));
  const runId = manualRunId('tago-logs', 2_000);
  await engine.rotate('tago-logs', runId);

  const lines = logged.lines().map((line) => JSON.parse(line) as Record<string, unknown>);
  const created = lines.filter((line) => String(line.msg).startsWith('new TagoIO token created'));
  expect(created).toEqual([
    expect.objectContaining({ policyId: 'tago-logs', provider: 'tagoio', runId, step: 'issue' }),
  ]);
});

it('an unexpected error inside a provider step is logged once, at error level, with its class and a frame of the provider’s file, and no secret', async () => {
  const policy = engine.policy('tago-logs');
  const redactor = new SecretRedactor();
  redactor.scope().hold(configSecrets(engine.config));
  const captured = memoryLogger('info', redactor);
  const adminToken = engine.world.fixture.env.FIXTURE_TAGOIO_TOKEN ?? '';
  // A bug's error whose message carries the connection's token, thrown where the provider calls its client.
  const deps = {
    ...engine.wiring.deps,
    log: captured.log,
    http: () => () => ({
      send: async () => {
        throw new TypeError(`cannot read properties of undefined (token ${adminToken})`);
      },
    }),
  };

  const failure = await runRotation(deps, {
    policy,
    runId: manualRunId(policy.id, 3_000),
    trigger: 'manual',
    signal: new AbortController().signal,
  }).catch((error: unknown) => error);

  expect(failure).toMatchObject({ kind: 'protocol', message: expect.stringContaining('unexpected failure') });
  const lines = captured.lines().map((line) => JSON.parse(line) as Record<string, unknown>);
  const unexpected = lines.filter((line) => line.unexpected !== undefined);
  expect(unexpected).toHaveLength(1);
  expect(unexpected[0]).toMatchObject({
    level: 50,
    policyId: 'tago-logs',
    step: 'issue',
    unexpected: { errorClass: 'TypeError' },
  });
  const frames = (unexpected[0]?.unexpected as { frames?: string[] } | undefined)?.frames ?? [];
  expect(frames.some((frame) => frame.includes('src/providers/tagoio/'))).toBe(true);
  expect(adminToken.length).toBeGreaterThan(16);
  expect(captured.text()).not.toContain(adminToken);
});
