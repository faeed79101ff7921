import { describe, expect, it } from 'vitest';
import { load, validYaml } from './config-fixtures.js';

const withSetting = (setting: string) =>
  validYaml.replace(
    'apiToken: { env: CLOUDFLARE_API_TOKEN } }',
    `apiToken: { env: CLOUDFLARE_API_TOKEN }, ${setting} }`,
  );

describe('a connection’s call timeout in config', () => {
  it('defaults to 30 seconds and takes a connection’s own', async () => {
    const result = await load(withSetting('timeout: 2500ms'));
    if (!result.ok) throw new Error(result.problems.map((problem) => problem.message).join('\n'));
    expect(result.config.connections.get('cf-prod')?.timeoutMs).toBe(2_500);
    expect(result.config.connections.get('cf-zone')?.timeoutMs).toBe(30_000);
  });

  it.each([
    ['a duration below 100ms', 'timeout: 5ms'],
    ['a duration above 10m', 'timeout: 1h'],
    ['something that is not a duration', 'timeout: soon'],
  ])('names the path of %s', async (_name, setting) => {
    const result = await load(withSetting(setting));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((problem) => problem.path)).toContain('connections.cf-prod.timeout');
  });
});
