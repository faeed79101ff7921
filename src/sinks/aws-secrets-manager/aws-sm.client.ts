import { SecretsManagerClient, type SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';
import type { Resolved } from '../../domain/secret-reference.js';
import type { Clock } from '../../lib/clock.js';
import { openGate, type RequestGate } from '../../rate-limit/request-gate.js';
import { AWS_SM_SYSTEM, classifyAwsError, isClockSkewCorrected } from './aws-sm.errors.js';
import type { AwsSecretsManagerSettings } from './aws-sm.settings.js';

export interface SendOptions {
  readonly abortSignal?: AbortSignal;
}

/** The SDK client, wrapped so that every failure comes back as a classified RotationError. */
export interface AwsSecretsManagerCaller {
  call<T>(
    operation: string,
    signal: AbortSignal | undefined,
    send: (client: SecretsManagerClient, options: SendOptions) => Promise<T>,
  ): Promise<T>;
  close(): void;
}

function clientConfig(settings: Resolved<AwsSecretsManagerSettings>): SecretsManagerClientConfig {
  const credentials = settings.credentials;
  return {
    region: settings.region,
    ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
    ...(credentials === undefined
      ? {}
      : {
          credentials: {
            accessKeyId: credentials.accessKeyId.reveal(),
            secretAccessKey: credentials.secretAccessKey.reveal(),
            ...(credentials.sessionToken === undefined
              ? {}
              : { sessionToken: credentials.sessionToken.reveal() }),
          },
        }),
    // rotor's retry policy decides what happens after a failure.
    maxAttempts: 1,
    requestHandler: {
      connectionTimeout: settings.timeout,
      requestTimeout: settings.timeout,
      throwOnRequestTimeout: true,
    },
  };
}

/** The calls AWS counts together against its write quota (50 per second per region). */
const QUOTA_WRITES: ReadonlySet<string> = new Set([
  'PutSecretValue',
  'UpdateSecretVersionStage',
  'UpdateSecret',
]);

export function createAwsSecretsManagerCaller(
  settings: Resolved<AwsSecretsManagerSettings>,
  clock: Clock,
  writeGate: RequestGate = openGate,
): AwsSecretsManagerCaller {
  const client = new SecretsManagerClient(clientConfig(settings));
  return {
    async call(operation, signal, send) {
      if (QUOTA_WRITES.has(operation)) await writeGate.pass({ system: AWS_SM_SYSTEM, operation, signal });
      const options: SendOptions = signal === undefined ? {} : { abortSignal: signal };
      try {
        return await send(client, options);
      } catch (error) {
        if (!isClockSkewCorrected(error) || signal?.aborted)
          throw classifyAwsError(operation, error, clock.now());
        // AWS refused the signature's timestamp and the SDK has now corrected its clock from the response;
        // nothing was written, so one re-signed send is safe.
        try {
          return await send(client, options);
        } catch (retryError) {
          throw classifyAwsError(operation, retryError, clock.now());
        }
      }
    },
    close: () => client.destroy(),
  };
}
