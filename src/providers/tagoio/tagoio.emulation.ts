import type { VendorEmulation } from '../vendor-emulation.js';
import { startTagoioDemo } from './tagoio.demo.js';
import { tagoioEmulator } from './tagoio.emulator.js';
import type { TagoioConnectionConfig, TagoioCredential, TagoioTarget } from './tagoio.schemas.js';

/** The TagoIO emulator and demo (loaded by `rotor emulators`, `rotor demo` and the tests only). */
export const tagoioEmulation: VendorEmulation<TagoioConnectionConfig, TagoioTarget, TagoioCredential> = {
  providerId: 'tagoio',
  emulator: tagoioEmulator,
  startDemo: startTagoioDemo,
};
