import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './support/eventually.js';
import { freePort } from './support/free-port.js';
import { testRedis } from './support/redis.js';

const cli = new URL('../src/cli.ts', import.meta.url).pathname;
const bundled = new URL('../config/demo.yaml', import.meta.url);

let workDir: string;
let configFile: string;
let redis: ReturnType<typeof testRedis>;

beforeAll(async () => {
  redis = testRedis();
  workDir = await mkdtemp(join(tmpdir(), 'rotor-demo-'));
  configFile = join(workDir, 'demo.yaml');
  // The bundled demo on this test's own Redis prefix and free ports; everything else as shipped.
  const template = (await readFile(bundled, 'utf8'))
    .replace('url: redis://127.0.0.1:6379', `url: ${redis.url}`)
    .replace('prefix: rotor-demo', `prefix: ${redis.prefix}`);
  let text = template;
  for (const port of new Set(template.match(/127\.0\.0\.1:478\d\d/g) ?? [])) {
    text = text.replaceAll(port, `127.0.0.1:${await freePort()}`);
  }
  await writeFile(configFile, text);
});

afterAll(async () => {
  await redis.cleanup();
  await rm(workDir, { recursive: true, force: true });
});

describe('rotor demo', () => {
  it('rotates, refreshes and revokes against the bundled emulators, one line per step, and stops cleanly on Ctrl-C', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', cli, 'demo', '--config', configFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    const exited = once(child, 'exit');

    await eventually(
      'a committed rotation, a committed refresh and revoked Moov, TagoIO and Telenor tokens',
      () =>
        /demo-ci-runner\s+commit\s+done {2}· AWS version [0-9a-f-]{36}/.test(output) &&
        /demo-deploy-expiry\s+commit/.test(output) &&
        /demo-iot-token\s+revoke\s+displaced credential revoked/.test(output) &&
        /demo-gateway-auth\s+revoke\s+displaced credential revoked/.test(output) &&
        /demo-payments-token\s+revoke\s+displaced credential revoked/.test(output)
          ? true
          : undefined,
      60_000,
    );
    child.kill('SIGINT');
    const [code] = await exited;

    expect(code).toBe(0);
    expect(output).toMatch(/stopped\.\n$/);
    const ciRunnerSteps = [...output.matchAll(/demo-ci-runner\s+(\w+)/g)].map((match) => match[1]);
    expect(ciRunnerSteps.slice(0, 6)).toEqual(['issue', 'journal', 'stage', 'verify', 'promote', 'commit']);
    expect(output).not.toMatch(/"level"/);
    // Cloudflare client secrets are 64 hex digits; none may be printed.
    expect(output).not.toMatch(/[0-9a-f]{64}/);
  });
});
