import type { VendorEmulation } from '../vendor-emulation.js';
import { startTelenorDemo } from './telenor.demo.js';
import { telenorEmulator } from './telenor.emulator.js';
import type { TelenorConnectionConfig, TelenorCredential, TelenorTarget } from './telenor.schemas.js';

/** The Telenor emulator and demo (loaded by `rotor emulators`, `rotor demo` and the tests only). */
export const telenorEmulation: VendorEmulation<TelenorConnectionConfig, TelenorTarget, TelenorCredential> = {
  providerId: 'telenor',
  emulator: telenorEmulator,
  startDemo: startTelenorDemo,
};
