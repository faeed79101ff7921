import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;

/** `docker compose` (v2 plugin) or `docker-compose` (v1), whichever this machine has. */
async function composeCommand(): Promise<string[] | undefined> {
  for (const candidate of [['docker', 'compose'], ['docker-compose']]) {
    try {
      await run(candidate[0] ?? '', [...candidate.slice(1), 'version']);
      return candidate;
    } catch {
      // not installed
    }
  }
  return undefined;
}
const compose = await composeCommand();

describe('the container image (there is no Docker engine here: the files are checked, not built)', () => {
  it('builds in two stages, ships production dependencies only and runs as a non-root user under tini', async () => {
    const dockerfile = await readFile(`${root}Dockerfile`, 'utf8');
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--", "node", "dist\/cli\.js"\]$/m);
    expect(dockerfile).toMatch(/^CMD \["start", "--config", "\/etc\/rotor\/rotor\.yaml"\]$/m);
    expect(dockerfile).toMatch(/HEALTHCHECK[\s\S]*\/healthz/);
  });
});

describe('docker-compose.yml', () => {
  it('runs Redis with AOF persistence and noeviction, the daemon and an emulators profile', async () => {
    const file = parse(await readFile(`${root}docker-compose.yml`, 'utf8')) as {
      services: Record<string, { command?: string[]; profiles?: string[]; volumes?: string[] }>;
    };
    const redis = file.services.redis?.command?.join(' ') ?? '';
    expect(redis).toMatch(/--appendonly yes/);
    expect(redis).toMatch(/--maxmemory-policy noeviction/);
    expect(file.services.rotor?.profiles).toEqual(['daemon']);
    expect(file.services.rotor?.volumes).toContain('./rotor.yaml:/etc/rotor/rotor.yaml:ro');
    expect(file.services.demo?.profiles).toEqual(['emulators']);
    expect(file.services.demo?.command).toEqual(['demo', '--redis-url', 'redis://redis:6379']);
  });

  it('has an `ha` profile: a replica of the master with the same persistence, and three sentinels that fail over on a quorum of two', async () => {
    const file = parse(await readFile(`${root}docker-compose.yml`, 'utf8')) as {
      services: Record<string, { command?: string[]; profiles?: string[] }>;
    };
    const replica = file.services['redis-replica'];
    const replicaCommand = replica?.command?.join(' ') ?? '';
    expect(replica?.profiles).toEqual(['ha']);
    expect(replicaCommand).toMatch(/--replicaof redis 6379/);
    expect(replicaCommand).toMatch(/--appendonly yes/);
    expect(replicaCommand).toMatch(/--maxmemory-policy noeviction/);
    for (const name of ['sentinel-1', 'sentinel-2', 'sentinel-3']) {
      const sentinel = file.services[name];
      expect(sentinel?.profiles).toEqual(['ha']);
      expect(sentinel?.command?.join('\n')).toMatch(/sentinel monitor rotor redis 6379 2/);
      expect(sentinel?.command?.join('\n')).toMatch(/--sentinel/);
    }
  });

  it.runIf(compose !== undefined)('is valid for the compose tool on this machine', async () => {
    const [command = '', ...args] = compose ?? [];
    await expect(
      run(command, [...args, '-f', `${root}docker-compose.yml`, 'config', '-q']),
    ).resolves.toBeDefined();
  });
});
