import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, type RedisInfrastructure } from '../../src/daemon/redis-infrastructure.js';
import { schedulerIdFor } from '../../src/queue/job-payloads.js';
import { type DaemonProcess, startDaemonProcess } from '../support/daemon-process.js';
import { type EmulatedWorld, startEmulatedWorld } from '../support/emulated-world.js';
import { eventually } from '../support/eventually.js';

let world: EmulatedWorld;
let infra: RedisInfrastructure;
let daemon: DaemonProcess | undefined;
let workDir: string;
let configFile: string;
let policyA: string;
let policyB: string;

beforeAll(async () => {
  world = await startEmulatedWorld();
  const policy = (id: string, every: string) => {
    const token = world.cloudflare.seedToken({ name: id, duration: '8760h' });
    return `
    - id: ${id}
      connection: cf
      action: rotate
      target: { serviceTokenId: ${token.id} }
      schedule: { every: ${every} }
      secret: { id: reload/${id} }`;
  };
  policyA = policy('first', '1d');
  policyB = policy('second', '2d');
  workDir = await mkdtemp(join(tmpdir(), 'rotor-reload-'));
  configFile = join(workDir, 'rotor.yaml');
  await writeFile(configFile, world.yaml(policyA));
  infra = connectRedis(await world.config(policyA));
  daemon = await startDaemonProcess(configFile, world.env);
});

afterAll(async () => {
  await daemon?.stop();
  await infra?.close();
  await world?.close();
  await rm(workDir, { recursive: true, force: true });
});

const schedulers = async () =>
  (await infra.queue.getJobSchedulers()).map((scheduler) => scheduler.key).sort();
const count = (text: string, needle: string) => text.split(needle).length - 1;

describe('SIGHUP', () => {
  it('reloads a valid config: the new policy gets its scheduler, the unchanged one keeps its next run', async () => {
    const before = await infra.queue.getJobScheduler(schedulerIdFor('first'));
    await writeFile(configFile, world.yaml(`${policyA}${policyB}`));

    daemon?.child.kill('SIGHUP');

    await eventually('the reload', () =>
      daemon?.output().includes('"msg":"config reloaded"') ? true : undefined,
    );
    expect(await schedulers()).toEqual([schedulerIdFor('first'), schedulerIdFor('second')]);
    expect((await infra.queue.getJobScheduler(schedulerIdFor('first')))?.next).toBe(before?.next);
  });

  it('refuses an invalid config with its problems and keeps running the previous one', async () => {
    await writeFile(configFile, world.yaml(`${policyA}${policyB}`).replace('every: 2d', 'every: often'));

    daemon?.child.kill('SIGHUP');

    await eventually('the refusal', () =>
      daemon?.output().includes('config reload refused') ? true : undefined,
    );
    const output = daemon?.output() ?? '';
    expect(output).toMatch(/policies\[1\]\.schedule\.every/);
    expect(count(output, '"msg":"config reloaded"')).toBe(1);
    expect(daemon?.child.exitCode).toBeNull();
    expect(await schedulers()).toEqual([schedulerIdFor('first'), schedulerIdFor('second')]);
    expect(await daemon?.stop()).toBe(0);
    daemon = undefined;
  });
});
