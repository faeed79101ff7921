import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Daemon, startDaemon } from '../../src/daemon/start-daemon.js';
import { runCli } from '../support/cli-run.js';
import { type EmulatedWorld, startEmulatedWorld } from '../support/emulated-world.js';
import { eventually } from '../support/eventually.js';
import { memoryLogger } from '../support/memory-log.js';
import { loadWorldConfig } from '../support/world-config.js';

let world: EmulatedWorld;
let daemon: Daemon;
let base: string;
let current: string;
let workDir: string;
let configFile: string;
const logged = memoryLogger();
const tokens = {
  LEDGER_ACK_TOKEN: randomBytes(24).toString('base64url'),
  PAYROLL_ACK_TOKEN: randomBytes(24).toString('base64url'),
};

beforeAll(async () => {
  world = await startEmulatedWorld();
  const policy = (id: string, consumers: string) => {
    const token = world.cloudflare.seedToken({ name: id, duration: '8760h' });
    return `
    - id: ${id}
      connection: cf
      action: rotate
      target: { serviceTokenId: ${token.id} }
      schedule: { manualOnly: true }
      secret: { id: acks/${id} }${consumers}`;
  };
  const policies = [
    policy(
      'ledger',
      '\n      consumers: [{ name: ledger-batch, confirm: { ack: { env: LEDGER_ACK_TOKEN } } }]',
    ),
    policy(
      'payroll',
      '\n      consumers: [{ name: payroll-report, confirm: { ack: { env: PAYROLL_ACK_TOKEN } } }]',
    ),
    policy('plain', ''),
  ].join('\n');
  const api = 'host: 127.0.0.1\nport: 0\ntokens: [{ name: ops, token: { env: API_TOKEN_A } }]';
  const yaml = world.yaml(policies, { api });
  const config = await loadWorldConfig(yaml, { ...world.env, ...tokens });
  workDir = await mkdtemp(join(tmpdir(), 'rotor-consumer-ack-'));
  configFile = join(workDir, 'rotor.yaml');
  await writeFile(configFile, yaml);
  daemon = await startDaemon(config, { log: logged.log });
  base = daemon.apiUrl ?? '';
  const asked = await call('POST', '/v1/policies/ledger/rotations', world.env.API_TOKEN_A);
  expect(asked.status).toBe(202);
  current = await eventually('the rotation of ledger to commit', async () => {
    const { body } = await call('GET', '/v1/policies/ledger', world.env.API_TOKEN_A);
    const versionId = (body.policy as { currentVersionId?: string } | undefined)?.currentVersionId;
    return typeof versionId === 'string' ? versionId : undefined;
  });
});

afterAll(async () => {
  await daemon?.stop();
  await world?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

async function call(method: 'GET' | 'POST', path: string, token: string | undefined) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  const text = await response.text();
  const json = response.headers.get('content-type')?.startsWith('application/json') ?? false;
  return { status: response.status, text, body: (json ? JSON.parse(text) : {}) as Record<string, unknown> };
}

const ack = (policyId: string, versionId: string, token: string | undefined) =>
  call('POST', `/v1/policies/${policyId}/versions/${versionId}/ack`, token);

const unconfirmedSeries = async () =>
  (await call('GET', '/metrics', world.env.API_TOKEN_A)).text
    .split('\n')
    .filter((line) => line.startsWith('rotor_consumers_unconfirmed{'));

describe('a consumer acks the version it uses', () => {
  it('is refused with 401 without the token of one of the policy’s consumers: none, an API token, another policy’s consumer’s', async () => {
    for (const token of [
      undefined,
      world.env.API_TOKEN_A,
      tokens.PAYROLL_ACK_TOKEN,
      `${tokens.LEDGER_ACK_TOKEN}x`,
    ]) {
      const refused = await ack('ledger', current, token);
      expect(refused.status).toBe(401);
      expect(refused.body).toMatchObject({ error: 'unauthorized' });
    }
    const status = await call('GET', '/v1/policies/ledger', world.env.API_TOKEN_A);
    expect(status.body.policy).toMatchObject({
      consumers: { list: [{ name: 'ledger-batch', confirmed: false }], unconfirmed: 1 },
    });
  });

  it('is refused with 401 for a policy that is not in the config, as for a wrong token', async () => {
    const refused = await ack('ledgers', current, tokens.LEDGER_ACK_TOKEN);

    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ error: 'unauthorized' });
  });

  it('is refused with 400 for a version id that is not an AWS version id', async () => {
    const refused = await ack('ledger', 'v2', tokens.LEDGER_ACK_TOKEN);

    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: 'invalid_request' });
  });

  it('is refused with 409 for a version that is not the current one', async () => {
    const stale = randomUUID();
    const refused = await ack('ledger', stale, tokens.LEDGER_ACK_TOKEN);

    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ error: 'not_current' });
    expect(String(refused.body.message)).toContain(current);
  });

  it('is stored with the consumer its token names, and status, the latest run and the metric show it confirmed', async () => {
    expect(await unconfirmedSeries()).toEqual([
      'rotor_consumers_unconfirmed{policy="ledger"} 1',
      'rotor_consumers_unconfirmed{policy="payroll"} 1',
    ]);

    const accepted = await ack('ledger', current, tokens.LEDGER_ACK_TOKEN);

    expect(accepted.status).toBe(200);
    expect(accepted.body).toEqual({
      policyId: 'ledger',
      consumer: 'ledger-batch',
      versionId: current,
      confirmedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    const confirmedAt = Date.parse(String(accepted.body.confirmedAt));
    const shown = {
      name: 'ledger-batch',
      confirmation: 'ack',
      confirmed: true,
      confirmedVersionId: current,
      confirmedAt,
      reload: null,
    };
    const { body } = await call('GET', '/v1/policies/ledger', world.env.API_TOKEN_A);
    expect(body.policy).toMatchObject({ consumers: { list: [shown], unconfirmed: 0, held: [] } });
    const history = body.history as { versionId?: string; consumers?: unknown }[];
    expect(history[0]).toMatchObject({ versionId: current, consumers: [shown] });
    const fleet = await call('GET', '/v1/policies', world.env.API_TOKEN_A);
    const listed = fleet.body.policies as { policyId: string; consumers?: unknown }[];
    expect(listed.find((policy) => policy.policyId === 'ledger')?.consumers).toMatchObject({
      unconfirmed: 0,
    });
    expect(listed.find((policy) => policy.policyId === 'plain')).not.toHaveProperty('consumers');
    expect(await unconfirmedSeries()).toEqual([
      'rotor_consumers_unconfirmed{policy="ledger"} 0',
      'rotor_consumers_unconfirmed{policy="payroll"} 1',
    ]);
  });

  it('shows in `rotor status` as a line per consumer, and in its JSON', async () => {
    const env = { ...world.env, ...tokens };
    const text = await runCli(configFile, env, 'status');
    const json = await runCli(configFile, env, 'status', '--json');

    expect(text.stderr).toBe('');
    expect(text.stdout).toMatch(/^ {2}consumer ledger-batch: confirmed \d{4}-\d\d-\d\dT\S+ \(ack\)$/m);
    expect(text.stdout).toContain('  consumer payroll-report: unconfirmed (ack, no confirmation yet)\n');
    const statuses = (JSON.parse(json.stdout) as { policies: { policyId: string; consumers?: unknown }[] })
      .policies;
    expect(statuses.find((status) => status.policyId === 'ledger')?.consumers).toMatchObject({
      list: [{ name: 'ledger-batch', confirmed: true, confirmedVersionId: current }],
      unconfirmed: 0,
    });
    expect(statuses.find((status) => status.policyId === 'plain')).not.toHaveProperty('consumers');
  });
});
