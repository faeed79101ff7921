import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { journalKey, validYaml } from './config-fixtures.js';
import { runValidate, validateYaml as validate } from './validate-cli.js';

describe('rotor validate', () => {
  it('exits 0 on the documented example', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rotor-example-'));
    const keyFile = join(dir, 'global-key');
    await writeFile(keyFile, 'global-key\n');
    const example = (await readFile(new URL('../../config/rotor.example.yaml', import.meta.url), 'utf8'))
      .replace('/run/secrets/cloudflare-global-key', keyFile)
      .replace('/run/secrets/telenor-session', keyFile);
    const result = await validate(example, {
      ROTOR_JOURNAL_KEY: journalKey,
      CLOUDFLARE_API_TOKEN: 'token-value',
      ROTOR_API_TOKEN: 'an-api-token-of-enough-length',
      TAGOIO_PROFILE_TOKEN: 'p-0123456789abcdef',
      MOOV_PUBLIC_KEY: 'pk_test',
      MOOV_SECRET_KEY: 'sk_test',
      ROTOR_WEBHOOK_SECRET: `whsec_${Buffer.alloc(32, 7).toString('base64')}`,
      ROTOR_SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T0/B0/xyz',
      GATEWAY_RELOAD_SECRET: `whsec_${Buffer.alloc(32, 9).toString('base64')}`,
      NBIOT_INGEST_ACK_TOKEN: 'an-ack-token-of-enough-length',
    });
    expect(result).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('valid (5 connections, 6 policies)'),
    });
  });

  it('exits 2 with every problem, each with file, line and path, and no stack trace', async () => {
    const yaml = validYaml
      .replace('id: ci-runner', 'id: Bad')
      .replace('tz: Europe/Oslo', 'tz: Nowhere/Atall');
    const result = await validate(yaml, {
      ROTOR_JOURNAL_KEY: journalKey,
      CLOUDFLARE_API_TOKEN: 'token-value',
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/rotor\.yaml:\d+:\d+: policies\[0\]\.id: expected lowercase letters/);
    expect(result.stderr).toMatch(
      /rotor\.yaml:\d+:\d+: policies\[0\]\.schedule\.tz: expected an IANA time zone/,
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 2 for a missing file', async () => {
    const { stderr, code } = await runValidate('/nonexistent/rotor.yaml');
    expect(code).toBe(2);
    expect(stderr).toContain('/nonexistent/rotor.yaml: cannot read the config file (ENOENT)');
  });
});
