import { cloudflareEmulation } from '../providers/cloudflare/cloudflare.emulation.js';
import { moovEmulation } from '../providers/moov/moov.emulation.js';
import { tagoioEmulation } from '../providers/tagoio/tagoio.emulation.js';
import { telenorEmulation } from '../providers/telenor/telenor.emulation.js';
import type { AnyVendorEmulation } from '../providers/vendor-emulation.js';

/**
 * Every vendor's emulator and demo, by provider id: one line per provider, beside its line in
 * src/providers/registry.ts. Only `rotor emulators`, `rotor demo` (both import it lazily) and the tests load
 * this, so `rotor start` loads no emulator.
 */
export const vendorEmulations: Readonly<Record<string, AnyVendorEmulation>> = {
  [cloudflareEmulation.providerId]: cloudflareEmulation as AnyVendorEmulation,
  [moovEmulation.providerId]: moovEmulation as AnyVendorEmulation,
  [tagoioEmulation.providerId]: tagoioEmulation as AnyVendorEmulation,
  [telenorEmulation.providerId]: telenorEmulation as AnyVendorEmulation,
};
