import type { Emulator, EmulatorStartOptions, RunningEmulator } from '../emulator-harness/emulator.js';
import { awsSecretsManagerEmulator } from '../sinks/aws-secrets-manager/aws-sm.emulator.js';
import { vendorEmulations } from './vendor-emulations.js';

/** Every emulator rotor ships: one per provider plus the AWS Secrets Manager sink's. */
export function bundledEmulators(): Emulator[] {
  return [...Object.values(vendorEmulations).map((vendor) => vendor.emulator), awsSecretsManagerEmulator];
}

export interface RunningEmulators {
  readonly byName: ReadonlyMap<string, RunningEmulator>;
  /** `{ cloudflare: {...}, aws: {...} }`: what clients need, keyed by emulator name. */
  readonly clients: Readonly<Record<string, Readonly<Record<string, string>>>>;
  close(): Promise<void>;
}

/** Starts every bundled emulator, each on its own port (`port: 0` picks free ones; otherwise consecutive). */
export async function startBundledEmulators(options: EmulatorStartOptions): Promise<RunningEmulators> {
  const byName = new Map<string, RunningEmulator>();
  const close = async () => {
    await Promise.all([...byName.values()].map((running) => running.server.close()));
  };
  try {
    for (const [index, emulator] of bundledEmulators().entries()) {
      const port = options.port === undefined || options.port === 0 ? 0 : options.port + index;
      byName.set(emulator.name, await emulator.start({ ...options, port }));
    }
  } catch (error) {
    await close();
    throw error;
  }
  const clients = Object.fromEntries([...byName].map(([name, running]) => [name, running.client]));
  return { byName, clients, close };
}
