import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/config/config-problem.js';
import { configRedactor, configSecrets } from '../../src/config/config-secrets.js';
import { REDACTED } from '../../src/domain/secret-redactor.js';
import { env, journalKey, load } from './config-fixtures.js';

const exampleEnv = {
  ...env,
  ROTOR_API_TOKEN: 'an-api-token-of-enough-length',
  TAGOIO_PROFILE_TOKEN: 'p-0123456789abcdef',
  MOOV_PUBLIC_KEY: 'pk_test_4b1f0c',
  MOOV_SECRET_KEY: 'sk_test_9e2a7d5c3b',
  ROTOR_WEBHOOK_SECRET: `whsec_${Buffer.alloc(32, 7).toString('base64')}`,
  ROTOR_SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T0/B0/xyz',
  GATEWAY_RELOAD_SECRET: `whsec_${Buffer.alloc(32, 9).toString('base64')}`,
  NBIOT_INGEST_ACK_TOKEN: 'an-ack-token-of-enough-length',
};
const FROM_FILE = 'secret-read-from-a-file';

async function loadExample() {
  const example = await readFile(new URL('../../config/rotor.example.yaml', import.meta.url), 'utf8');
  const result = await load('', {
    env: exampleEnv,
    readFile: async (path) => (path === 'rotor.yaml' ? example : `${FROM_FILE}\n`),
  });
  if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
  return result.config;
}

describe('the secrets a loaded config holds', () => {
  it('are every value read through a secret reference, plus what providers derive from them', async () => {
    const config = await loadExample();
    const secrets = configSecrets(config);
    for (const name of Object.keys(exampleEnv).filter((name) => name !== 'ROTOR_JOURNAL_KEY')) {
      expect(secrets, name).toContain(exampleEnv[name as keyof typeof exampleEnv]);
    }
    expect(secrets).toContain(FROM_FILE);
    expect(secrets).toContain(journalKey);
    expect(secrets).toContain(Buffer.from(journalKey, 'base64').toString('hex'));
    // Moov's HTTP Basic token: a secret of its own in every request header.
    const basic = Buffer.from(`${exampleEnv.MOOV_PUBLIC_KEY}:${exampleEnv.MOOV_SECRET_KEY}`).toString(
      'base64',
    );
    expect(secrets).toContain(basic);
  });

  it('are redacted from what a one-shot command prints', async () => {
    const config = await loadExample();
    const redactor = configRedactor(config);
    const basic = Buffer.from(`${exampleEnv.MOOV_PUBLIC_KEY}:${exampleEnv.MOOV_SECRET_KEY}`).toString(
      'base64',
    );
    const echoed = `tagoio: ${encodeURIComponent(exampleEnv.TAGOIO_PROFILE_TOKEN)}; moov: Basic ${basic}; slack ${exampleEnv.ROTOR_SLACK_WEBHOOK_URL}`;
    expect(redactor.redact(echoed)).toBe(`tagoio: ${REDACTED}; moov: Basic ${REDACTED}; slack ${REDACTED}`);
  });
});
