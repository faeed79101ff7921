import type { Resolved } from '../domain/secret-reference.js';
import type { Emulator } from '../emulator-harness/emulator.js';
import type { DemoEmulator, DemoPolicy } from './provider.js';

/**
 * A vendor's emulator and demo, kept in the vendor's folder but out of its `Provider`: only `rotor
 * emulators`, `rotor demo` and the tests load them (through src/emulation/), so `rotor start` never does.
 */
export interface VendorEmulation<ConnConfig, Target, Cred> {
  /** The provider's id. */
  readonly providerId: string;
  readonly emulator: Emulator;
  /**
   * For `rotor demo`: starts the emulator where the connection points (its URL's port), admitting the
   * connection's own admin credentials, with a credential for each policy's target.
   */
  startDemo(
    connection: Resolved<ConnConfig>,
    policies: readonly DemoPolicy<Target>[],
  ): Promise<DemoEmulator<Cred>>;
}

export type AnyVendorEmulation = VendorEmulation<unknown, unknown, unknown>;
