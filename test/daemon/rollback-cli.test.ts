import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
// The SDK is CommonJS: its default export holds the classes.
import tagoSdk from '@tago-io/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RotorConfig } from '../../src/config/rotor-config.js';
import { connectRedis, type RedisInfrastructure } from '../../src/daemon/redis-infrastructure.js';
import { type Daemon, startDaemon } from '../../src/daemon/start-daemon.js';
import { requestRotation } from '../../src/queue/rotation-requests.js';
import { startTagoioFixture } from '../providers/tagoio.fixture.js';
import { AwsSecrets } from '../support/aws-secrets.js';
import { runCli } from '../support/cli-run.js';
import { policyNamed } from '../support/emulated-world.js';
import { finishedJob } from '../support/finished-job.js';
import { memoryLogger } from '../support/memory-log.js';
import { type ProviderWorld, startProviderWorld } from '../support/provider-world.js';

/** Long enough that no displaced credential is revoked while a test runs: nothing here waits for a revoke. */
const GRACE = '10m';
/** Bounds a broken test's waits below the test timeout, so it fails naming what it waited for. */
const WAIT_MS = 15_000;

let world: ProviderWorld;
let config: RotorConfig;
let infra: RedisInfrastructure;
let daemon: Daemon | undefined;
let aws: AwsSecrets;
let workDir: string;
let configFile: string;

beforeAll(async () => {
  world = await startProviderWorld(startTagoioFixture);
  const policies = [
    await world.policy('gateway', { gracePeriod: GRACE }),
    await world.policy('single', { gracePeriod: GRACE }),
    await world.policy('deleted', { gracePeriod: GRACE }),
  ];
  const yaml = world.yaml(policies);
  config = await world.config(policies);
  workDir = await mkdtemp(join(tmpdir(), 'rotor-rollback-'));
  configFile = join(workDir, 'rotor.yaml');
  await writeFile(configFile, yaml);
  infra = connectRedis(config);
  aws = new AwsSecrets(world.aws.client);
  daemon = await startDaemon(config, { log: memoryLogger('info').log });
});

afterAll(async () => {
  await daemon?.stop();
  await infra?.close();
  aws?.close();
  await world?.close();
  await rm(workDir, { recursive: true, force: true });
});

const cliRun = (...args: string[]) => runCli(configFile, world.env, ...args);
const secretOf = (policyId: string) => policyNamed(config, policyId).secret.id;

/** Runs a rotation of the policy to completion; the version AWSCURRENT holds after it (official AWS SDK). */
async function rotated(policyId: string): Promise<string> {
  const { jobId } = await requestRotation(infra.queue, policyNamed(config, policyId), 'manual', {
    nowMs: Date.now(),
  });
  expect(await (await finishedJob(infra.queue, jobId, WAIT_MS)).getState()).toBe('completed');
  const current = await aws.version(secretOf(policyId), 'AWSCURRENT');
  if (!current) throw new Error(`no AWSCURRENT for ${policyId} after a completed rotation`);
  return current.versionId;
}

describe('rotor rollback', () => {
  it('exits 4 with "rollback refused" for a policy with no previous version, requesting nothing', async () => {
    const only = await rotated('single');

    const { code, stdout, stderr } = await cliRun('rollback', 'single', '--wait', '--timeout', '10s');

    expect(code).toBe(4);
    expect(stderr).toMatch(/rollback refused: policy single: no previous version of secret tagoio\/single/);
    expect(stdout).toBe('');
    expect((await aws.version(secretOf('single'), 'AWSCURRENT'))?.versionId).toBe(only);
    expect(
      (await infra.queue.getJobs(['waiting', 'delayed', 'active'])).map((job) => job.name),
    ).not.toContain('rollback');
  });

  it('with --wait, puts the first rotation’s version back as AWSCURRENT and says so; status shows the version rolled back from, the history who asked and why; a second rollback is refused with exit 4', async () => {
    const first = await rotated('gateway');
    const second = await rotated('gateway');
    expect(second).not.toBe(first);

    const rolledBack = await cliRun(
      'rollback',
      'gateway',
      '--wait',
      '--timeout',
      '30s',
      '--reason',
      'bad deploy',
    );

    expect(rolledBack.stderr).toBe('');
    expect(rolledBack.code).toBe(0);
    expect(rolledBack.stdout).toContain(`version ${first} back in place of ${second}`);
    expect(rolledBack.stdout).toContain(`gateway: rolled back; AWSCURRENT is version ${first}`);
    expect((await aws.version(secretOf('gateway'), 'AWSCURRENT'))?.versionId).toBe(first);
    const runId = /rollback (\S+) requested/.exec(rolledBack.stdout)?.[1];
    expect(runId).toMatch(/^gateway-r\d+$/);

    const [status, again] = await Promise.all([
      cliRun('status', '--json'),
      cliRun('rollback', 'gateway', '--wait', '--timeout', '10s'),
    ]);

    expect(status.code).toBe(0);
    const shown = (
      JSON.parse(status.stdout) as {
        policies: { policyId: string; currentVersionId?: string; rolledBack?: Record<string, unknown> }[];
      }
    ).policies.find((policy) => policy.policyId === 'gateway');
    expect(shown).toMatchObject({
      currentVersionId: first,
      rolledBack: { versionId: second, runId, at: expect.any(Number) },
    });
    const entry = (await infra.history.recent('gateway')).find((candidate) => candidate.runId === runId);
    expect(entry).toMatchObject({
      trigger: 'rollback',
      outcome: 'succeeded',
      versionId: first,
      requestedBy: `cli:${userInfo().username}`,
      reason: 'bad deploy',
    });
    expect(again.code).toBe(4);
    expect(again.stderr).toMatch(
      new RegExp(
        `rollback refused: policy gateway: version ${second} is the one the last rollback took out of use; it is never promoted again`,
      ),
    );
    expect((await aws.version(secretOf('gateway'), 'AWSCURRENT'))?.versionId).toBe(first);
  });

  it('with --wait, exits 1 naming why when the daemon refuses: the previous credential was deleted at the vendor behind rotor’s back; AWSCURRENT stays', async () => {
    const first = await rotated('deleted');
    const second = await rotated('deleted');
    const previous = (await aws.version(secretOf('deleted'), { versionId: first }))?.credential as {
      token: string;
    };
    const origin = world.fixture.server.origin;
    const tagoio = new tagoSdk.Resources({
      token: world.env.FIXTURE_TAGOIO_TOKEN ?? '',
      region: { api: origin, sse: origin },
    });
    await tagoio.serviceAuthorization.tokenDelete(previous.token);
    expect(await world.fixture.accepts(previous)).toBe(false);

    const { code, stdout, stderr } = await cliRun('rollback', 'deleted', '--wait', '--timeout', '30s');

    expect(stdout).toMatch(/deleted: rollback deleted-r\d+ requested/);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      new RegExp(
        `rollback refused: policy deleted: the previous credential \\(version ${first}\\) is no longer live at the vendor`,
      ),
    );
    expect((await aws.version(secretOf('deleted'), 'AWSCURRENT'))?.versionId).toBe(second);
  });
});
