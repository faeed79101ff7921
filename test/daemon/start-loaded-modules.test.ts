import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.js';
import { type EveryProviderScene, openEveryProviderScene } from '../support/every-provider-scene.js';

const dist = resolve(import.meta.dirname, '../../dist');
const builtCli = join(dist, 'cli.js');
const recordLoadedModules = fileURLToPath(new URL('../support/record-loaded-modules.mjs', import.meta.url));

/**
 * The emulators and the demo, as the build names them: the emulators' harness, the demo, the registry of
 * emulations, and each vendor's and sink's emulator, emulation and demo files. Not commands/demo.js and
 * commands/emulators.js: they declare `rotor demo` and `rotor emulators` to the CLI (every command is
 * declared, for `--help`) and load the demo and the emulators only when those commands run.
 */
const emulationOrDemo =
  /^(emulation|demo|emulator-harness)\/|^(providers|sinks)\/[^/]+\/[^/]+\.(emulat|demo)/;

/** Every module of the build, as a path under dist/. */
async function builtModules(): Promise<string[]> {
  const paths = await readdir(dist, { recursive: true });
  return paths.filter((path) => path.endsWith('.js')).sort();
}

let every: EveryProviderScene;
let recordDir: string;
const recordFile = () => join(recordDir, 'loaded-modules.txt');

/** The build's modules the daemon has loaded so far, as paths under dist/ (the hook's record). */
async function loadedModules(): Promise<Set<string>> {
  const urls = (await readFile(recordFile(), 'utf8')).split('\n').filter((line) => line !== '');
  return new Set(urls.map((url) => relative(dist, fileURLToPath(url))));
}

beforeAll(async () => {
  if (!existsSync(builtCli)) throw new Error(`${builtCli} is missing: run \`npm run build\` first`);
  recordDir = await mkdtemp(join(tmpdir(), 'rotor-loaded-modules-'));
  every = await openEveryProviderScene(
    {},
    {
      launch: {
        nodeArgs: ['--import', recordLoadedModules, builtCli],
        env: { ROTOR_LOADED_MODULES_FILE: recordFile() },
      },
    },
  );
}, 120_000);

afterAll(async () => {
  await every?.scene.close();
  await rm(recordDir, { recursive: true, force: true });
});

describe('`rotor start` as built (dist/cli.js)', () => {
  it('loads no emulator and no demo module: not at start, not once ready, not after a rotation with every provider', {
    timeout: 120_000,
  }, async () => {
    await eventually('/readyz to answer 200', async () =>
      (await fetch(`${every.apiUrl}/readyz`)).status === 200 ? true : undefined,
    );
    for (const policy of every.policies) await every.scene.rotate(policy);

    const built = await builtModules();
    const forbidden = built.filter((path) => emulationOrDemo.test(path));
    // Each folder and kind of file the pattern names is in the build: the check cannot pass vacuously.
    const kinds = ['emulation/', 'demo/', 'emulator-harness/', '.emulator', '.emulation', '.demo'];
    expect(kinds.filter((kind) => !forbidden.some((path) => path.includes(kind)))).toEqual([]);

    const loaded = await loadedModules();
    // The hook saw the daemon's own modules: the CLI, the command, the engine, every vendor, the sink.
    const vendors = (await readdir(join(dist, 'providers'), { withFileTypes: true }))
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
    expect(vendors.length).toBeGreaterThan(0);
    const expected = [
      'cli.js',
      'commands/start.js',
      'daemon/start-daemon.js',
      'engine/run-rotation.js',
      'sinks/aws-secrets-manager/aws-sm.sink.js',
      ...vendors.map((vendor) => `providers/${vendor}/index.js`),
    ];
    expect(expected.filter((path) => !loaded.has(path))).toEqual([]);

    expect(forbidden.filter((path) => loaded.has(path))).toEqual([]);
  });
});
