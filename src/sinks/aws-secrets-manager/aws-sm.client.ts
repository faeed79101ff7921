import { SecretsManagerClient, type SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Resolved } from '../../domain/secret-reference.js';
import type { Clock } from '../../lib/clock.js';
import { openGate, type RequestGate } from '../../rate-limit/request-gate.js';
import { AWS_SM_SYSTEM, classifyAwsError, isClockSkewCorrected } from './aws-sm.errors.js';
import type { AwsSecretsManagerSettings } from './aws-sm.settings.js';

/** Marks a command as this call's (its abort signal applies to it); returns the command itself. */
export type ThisCall = <Command extends { readonly input: object }>(command: Command) => Command;

/** The SDK client, wrapped so that every failure comes back as a classified RotationError. */
export interface AwsSecretsManagerCaller {
  /** `send` sends its commands with `client.send(thisCall(command))`: no options (see `callSignals`). */
  call<T>(
    operation: string,
    signal: AbortSignal | undefined,
    send: (client: SecretsManagerClient, thisCall: ThisCall) => Promise<T>,
  ): Promise<T>;
  close(): void;
}

/**
 * The SDK builds a command's middleware chain on every send (a copy and sort of the whole stack), unless the
 * client caches it per command class — which it does only for sends with no options, so an abort signal
 * cannot ride in them. Here it rides beside: the command's input is mapped to the call's signal, a middleware
 * next to the HTTP handler maps the signed request to it, and the handler passes it to node:http as the
 * SDK would have. Both maps are weak: nothing outlives its call.
 */
function callSignals() {
  const byInput = new WeakMap<object, AbortSignal>();
  const byRequest = new WeakMap<object, AbortSignal>();
  return {
    thisCall(signal: AbortSignal | undefined): ThisCall {
      return (command) => {
        if (signal !== undefined) byInput.set(command.input, signal);
        return command;
      };
    },
    /** Installs the mapping from input to signed request on the client. */
    install(client: SecretsManagerClient): void {
      client.middlewareStack.add(
        (next) => (args) => {
          const signal = byInput.get(args.input);
          const { request } = args;
          if (signal !== undefined && typeof request === 'object' && request !== null)
            byRequest.set(request, signal);
          return next(args);
        },
        { step: 'deserialize', priority: 'low', name: 'rotorCallSignal' },
      );
    },
    signalOf: (request: object) => byRequest.get(request),
  };
}

/** The SDK's node:http handler, given each request's abort signal from the call that sent it. */
class SignalledHttpHandler extends NodeHttpHandler {
  readonly #signalOf: (request: object) => AbortSignal | undefined;

  constructor(
    options: ConstructorParameters<typeof NodeHttpHandler>[0],
    signalOf: (request: object) => AbortSignal | undefined,
  ) {
    super(options);
    this.#signalOf = signalOf;
  }

  override handle(...[request, options]: Parameters<NodeHttpHandler['handle']>) {
    const abortSignal = this.#signalOf(request);
    return super.handle(request, abortSignal === undefined ? options : { ...options, abortSignal });
  }
}

/** rotor decides what happens after a failure (its retry policy): the SDK sends each command once. */
const SEND_ONCE: NonNullable<SecretsManagerClientConfig['retryStrategy']> = {
  retry: (next, args) => next(args),
};

function clientConfig(
  settings: Resolved<AwsSecretsManagerSettings>,
  requestHandler: NodeHttpHandler,
): SecretsManagerClientConfig {
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
    retryStrategy: SEND_ONCE,
    cacheMiddleware: true,
    requestHandler,
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
  const signals = callSignals();
  const http = new SignalledHttpHandler(
    { connectionTimeout: settings.timeout, requestTimeout: settings.timeout, throwOnRequestTimeout: true },
    signals.signalOf,
  );
  const client = new SecretsManagerClient(clientConfig(settings, http));
  signals.install(client);
  // The SDK's logger middleware filters every call's input and output for a log line, which goes to its
  // no-op logger: rotor gives the SDK none (its own log says what a call did).
  client.middlewareStack.remove('loggerMiddleware');
  return {
    async call(operation, signal, send) {
      if (QUOTA_WRITES.has(operation)) await writeGate.pass({ system: AWS_SM_SYSTEM, operation, signal });
      const thisCall = signals.thisCall(signal);
      try {
        return await send(client, thisCall);
      } catch (error) {
        if (!isClockSkewCorrected(error) || signal?.aborted)
          throw classifyAwsError(operation, error, clock.now());
        // AWS refused the signature's timestamp and the SDK has now corrected its clock from the response;
        // nothing was written, so one re-signed send is safe.
        try {
          return await send(client, thisCall);
        } catch (retryError) {
          throw classifyAwsError(operation, retryError, clock.now());
        }
      }
    },
    close: () => client.destroy(),
  };
}
