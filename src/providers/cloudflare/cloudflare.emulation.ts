import type { VendorEmulation } from '../vendor-emulation.js';
import { startCloudflareDemo } from './cloudflare.demo.js';
import { cloudflareEmulator } from './cloudflare.emulator.js';
import type {
  CloudflareConnectionConfig,
  CloudflareCredential,
  CloudflareTarget,
} from './cloudflare.schemas.js';

/** The Cloudflare emulator and demo (loaded by `rotor emulators`, `rotor demo` and the tests only). */
export const cloudflareEmulation: VendorEmulation<
  CloudflareConnectionConfig,
  CloudflareTarget,
  CloudflareCredential
> = {
  providerId: 'cloudflare',
  emulator: cloudflareEmulator,
  startDemo: startCloudflareDemo,
};
