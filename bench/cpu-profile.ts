import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';

/** What `bench/profile-attribution.ts` needs besides the samples: how many rotations the profile covers. */
export interface ProfileMeta {
  readonly rotations: number;
}

/** One sample every this many microseconds (V8's default is 1,000). */
const SAMPLING_INTERVAL_US = 500;

/**
 * Runs `work` under V8's CPU profiler (of this process, through the inspector) and writes the profile to
 * `<dir>/<name>.cpuprofile`, with `<name>.meta.json` beside it saying how many rotations it covers. Without a
 * directory, `work` just runs: a profiled round costs more CPU, so its figures are not the benchmark's.
 */
export async function profiled<T>(
  dir: string | undefined,
  name: string,
  rotations: number,
  work: () => Promise<T>,
): Promise<T> {
  if (dir === undefined) return work();
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: SAMPLING_INTERVAL_US });
    await session.post('Profiler.start');
    const result = await work();
    const { profile } = await session.post('Profiler.stop');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
    const meta: ProfileMeta = { rotations };
    writeFileSync(join(dir, `${name}.meta.json`), `${JSON.stringify(meta)}\n`);
    return result;
  } finally {
    session.disconnect();
  }
}
