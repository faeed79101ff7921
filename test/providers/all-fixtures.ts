import type { ProviderFixture } from '../support/provider-fixture.js';
import { startCloudflareFixture } from './cloudflare.fixture.js';
import { startMoovFixture } from './moov.fixture.js';
import { startTagoioFixture } from './tagoio.fixture.js';
import { startTelenorFixture } from './telenor.fixture.js';

/** Every provider's fixture, for the suites that run each provider through the daemon. */
export const providerFixtures: readonly (readonly [string, () => Promise<ProviderFixture>])[] = [
  ['cloudflare', startCloudflareFixture],
  ['moov', startMoovFixture],
  ['tagoio', startTagoioFixture],
  ['telenor', startTelenorFixture],
];
