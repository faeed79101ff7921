import type { VendorEmulation } from '../vendor-emulation.js';
import { startMoovDemo } from './moov.demo.js';
import { moovEmulator } from './moov.emulator.js';
import type { MoovConnectionConfig, MoovCredential, MoovTarget } from './moov.schemas.js';

/** The Moov emulator and demo (loaded by `rotor emulators`, `rotor demo` and the tests only). */
export const moovEmulation: VendorEmulation<MoovConnectionConfig, MoovTarget, MoovCredential> = {
  providerId: 'moov',
  emulator: moovEmulator,
  startDemo: startMoovDemo,
};
