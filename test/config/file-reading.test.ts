import { execFile } from 'node:child_process';
import { mkdtemp, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/config/config-problem.js';
import { loadConfig } from '../../src/config/load-config.js';
import { apiToken, journalKey, validYaml } from './config-fixtures.js';
import { runValidate, validateYaml } from './validate-cli.js';

const env = { ROTOR_JOURNAL_KEY: journalKey, CLOUDFLARE_API_TOKEN: apiToken };
const SECRET_CAP = 64 * 1024;
const CONFIG_CAP = 32 * 1024 * 1024;

/** The fixture with cf-zone's API token read from `path`. */
const withTokenFile = (path: string) => validYaml.replace('/secrets/zone-token', path);

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'rotor-files-'));
}

describe('rotor validate reads only regular files of bounded size', () => {
  it('refuses a FIFO as a secret file instead of waiting for a writer', async () => {
    const fifo = join(await tempDir(), 'token');
    await promisify(execFile)('mkfifo', [fifo]);
    const result = await validateYaml(withTokenFile(fifo), env);
    expect(result).toMatchObject({
      code: 2,
      stderr: expect.stringContaining(
        `connections.cf-zone.apiToken: cannot read file ${fifo}: it is a FIFO (only regular files are read)`,
      ),
    });
  });

  it('refuses a FIFO as the config file', async () => {
    const fifo = join(await tempDir(), 'rotor.yaml');
    await promisify(execFile)('mkfifo', [fifo]);
    const result = await runValidate(fifo, env);
    expect(result).toMatchObject({
      code: 2,
      stderr: expect.stringContaining(`${fifo}: cannot read the config file: it is a FIFO`),
    });
  });

  it('refuses /dev/zero as a secret file, also behind a symbolic link, and as the config file', async () => {
    const link = join(await tempDir(), 'token');
    await symlink('/dev/zero', link);
    const [linked, asSecret, asConfig] = await Promise.all([
      validateYaml(withTokenFile(link), env),
      validateYaml(withTokenFile('/dev/zero'), env),
      runValidate('/dev/zero', env),
    ]);
    expect(linked).toMatchObject({
      code: 2,
      stderr: expect.stringContaining(`cannot read file ${link}: it is a character device`),
    });
    expect(asSecret).toMatchObject({
      code: 2,
      stderr: expect.stringContaining(
        'connections.cf-zone.apiToken: cannot read file /dev/zero: it is a character device (only regular files are read)',
      ),
    });
    expect(asConfig).toMatchObject({
      code: 2,
      stderr: expect.stringContaining(
        '/dev/zero: cannot read the config file: it is a character device (only regular files are read)',
      ),
    });
  });

  it('refuses a directory as a secret file and as the config file', async () => {
    const dir = await tempDir();
    const [asSecret, asConfig] = await Promise.all([
      validateYaml(withTokenFile(dir), env),
      runValidate(dir, env),
    ]);
    expect(asSecret).toMatchObject({
      code: 2,
      stderr: expect.stringContaining(`cannot read file ${dir}: it is a directory`),
    });
    expect(asConfig).toMatchObject({
      code: 2,
      stderr: expect.stringContaining(`${dir}: cannot read the config file: it is a directory`),
    });
  });

  it('refuses a secret file over 64 KiB, naming the cap, and reads one of exactly 64 KiB', async () => {
    const dir = await tempDir();
    const file = join(dir, 'token');
    await writeFile(file, 'x'.repeat(SECRET_CAP + 1));
    const result = await validateYaml(withTokenFile(file), env);
    expect(result).toMatchObject({
      code: 2,
      stderr: expect.stringContaining(
        `connections.cf-zone.apiToken: cannot read file ${file}: it is larger than 64 KiB, the cap on a secret file`,
      ),
    });

    await writeFile(file, 'x'.repeat(SECRET_CAP));
    const configFile = join(dir, 'rotor.yaml');
    await writeFile(configFile, withTokenFile(file));
    const loaded = await loadConfig(configFile, {
      env,
      awsSecretReader: () => {
        throw new Error('no AWS reference in this config');
      },
    });
    if (!loaded.ok) throw new Error(loaded.problems.map(formatProblem).join('\n'));
    const settings = loaded.config.connections.get('cf-zone')?.settings as { apiToken: { reveal(): string } };
    expect(settings.apiToken.reveal()).toHaveLength(SECRET_CAP);
  });

  it('refuses a config file over 32 MiB, naming the cap', async () => {
    const file = join(await tempDir(), 'rotor.yaml');
    await writeFile(file, validYaml);
    await truncate(file, CONFIG_CAP + 1);
    const result = await runValidate(file, env);
    expect(result).toMatchObject({
      code: 2,
      stderr: expect.stringContaining(
        `${file}: cannot read the config file: it is larger than 32 MiB, the cap on a config file`,
      ),
    });
  });
});
