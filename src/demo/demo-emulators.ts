import { randomUUID } from 'node:crypto';
import type { RotorConfig } from '../config/rotor-config.js';
import { vendorEmulations } from '../emulation/vendor-emulations.js';
import { listenAddressOf } from '../emulator-harness/listen-address.js';
import { startAwsSecretsManagerEmulator } from '../sinks/aws-secrets-manager/aws-sm.emulator.js';

export interface DemoEmulators {
  /** One line per emulator: what it is and where it listens. */
  readonly described: readonly string[];
  close(): Promise<void>;
}

/**
 * The demo's outside world, shaped by the demo config: the AWS Secrets Manager emulator where the sink
 * points and, for each connection, its provider's demo emulator. Secrets of `extend` policies (which need an
 * existing credential) are stored beforehand, as an operator would have.
 */
export async function startDemoEmulators(config: RotorConfig): Promise<DemoEmulators> {
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    await Promise.all(closers.map((closeOne) => closeOne()));
  };
  try {
    const { endpoint, region, credentials } = config.sink;
    if (endpoint === undefined || credentials === undefined) {
      throw new Error('the demo config needs sink.endpoint and sink.credentials');
    }
    const aws = await startAwsSecretsManagerEmulator({
      ...listenAddressOf(endpoint, 'AWS Secrets Manager'),
      region,
      accessKeyId: credentials.accessKeyId.reveal(),
      secretAccessKey: credentials.secretAccessKey.reveal(),
    });
    closers.push(() => aws.server.close());
    const described = [`AWS Secrets Manager emulator  ${aws.server.origin}  (${region})`];

    for (const connection of config.connections.values()) {
      const { provider } = connection;
      const vendor = Object.hasOwn(vendorEmulations, provider.id) ? vendorEmulations[provider.id] : undefined;
      if (!vendor) throw new Error(`provider ${provider.id} has no demo emulator`);
      const policies = config.policies.filter((policy) => policy.connection === connection);
      const demo = await vendor.startDemo(
        connection.settings,
        policies.map((policy) => ({ id: policy.id, target: policy.target })),
      );
      closers.push(() => demo.close());
      described.push(demo.description);
      for (const policy of policies.filter((candidate) => candidate.capability === 'extend')) {
        aws.store.create({
          name: policy.secret.id,
          tags: new Map([['owner', 'platform-team']]),
          clientRequestToken: randomUUID(),
          value: { kind: 'string', text: JSON.stringify(demo.credentialOf(policy.id)) },
        });
      }
    }
    return { described, close };
  } catch (error) {
    await close();
    throw error;
  }
}
