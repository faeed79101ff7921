import type { Clock } from '../lib/clock.js';
import type { EmulatorServer, EmulatorServerOptions } from './emulator-server.js';

export interface EmulatorStartOptions extends EmulatorServerOptions {
  /** The emulator's notion of now (token expiry, grace periods, signature dates); tests move it. */
  readonly clock?: Clock;
}

/** A vendor API emulator shipped beside the code that talks to the vendor. */
export interface Emulator {
  /** Name in `rotor emulators` output, e.g. `cloudflare`, `aws`. */
  readonly name: string;
  start(options: EmulatorStartOptions): Promise<RunningEmulator>;
}

export interface RunningEmulator {
  readonly server: EmulatorServer;
  /** Everything a client needs to reach the emulator: base URL, ids, credentials. */
  readonly client: Readonly<Record<string, string>>;
}
