import { randomBytes, randomUUID } from 'node:crypto';
import type { Emulator, EmulatorStartOptions, RunningEmulator } from '../../emulator-harness/emulator.js';
import type { EmulatorApi, EmulatorRequest, EmulatorResponse } from '../../emulator-harness/emulator-http.js';
import { startEmulatorServer } from '../../emulator-harness/emulator-server.js';
import { readJsonBody } from '../../emulator-harness/json-body.js';
import { type Clock, systemClock } from '../../lib/clock.js';
import { awsSecretsManagerControl } from './aws-sm.emulator-control.js';
import { AwsApiError } from './aws-sm.emulator-errors.js';
import { operations } from './aws-sm.emulator-operations.js';
import { createSigV4Verifier } from './aws-sm.emulator-sigv4.js';
import { SecretsManagerStore } from './aws-sm.emulator-store.js';

const TARGET_PREFIX = 'secretsmanager.';
const CONTENT_TYPE = 'application/x-amz-json-1.1';
const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export interface AwsSecretsManagerEmulatorOptions extends EmulatorStartOptions {
  /** Random per start when absent. */
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
  /** Requests must be signed for this region; ARNs name it. Default us-east-1. */
  readonly region?: string;
  readonly accountId?: string;
}

/** Everything an AWS SDK client needs to talk to the emulator. */
export type AwsSecretsManagerEmulatorClient = {
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
};

export interface RunningAwsSecretsManagerEmulator extends RunningEmulator {
  readonly client: AwsSecretsManagerEmulatorClient;
  /** In-process seeding and inspection for tests and demos. */
  readonly store: SecretsManagerStore;
}

function randomAccessKeyId(): string {
  const bytes = randomBytes(16);
  return `AKIA${[...bytes].map((byte) => KEY_ALPHABET[byte % KEY_ALPHABET.length]).join('')}`;
}

function awsError(code: string, message: string, status: number, clock: Clock): EmulatorResponse {
  return {
    status,
    headers: {
      ...awsHeaders(clock),
      'x-amzn-errortype': `${code}:http://internal.amazon.com/coral/com.amazonaws.secretsmanager/`,
    },
    body: { __type: code, Message: message },
  };
}

// The Date header carries the emulator's clock: the AWS SDK corrects its signing clock from it.
const awsHeaders = (clock: Clock): Record<string, string> => ({
  'content-type': CONTENT_TYPE,
  'x-amzn-requestid': randomUUID(),
  date: new Date(clock.now()).toUTCString(),
});

/**
 * AWS Secrets Manager over real HTTP: the AWS JSON 1.1 protocol (`POST /`, `X-Amz-Target`), SigV4 checked
 * against the emulator's own key, and the version and staging-label semantics of the real service.
 */
export async function startAwsSecretsManagerEmulator(
  options: AwsSecretsManagerEmulatorOptions = {},
): Promise<RunningAwsSecretsManagerEmulator> {
  const clock = options.clock ?? systemClock;
  const region = options.region ?? 'us-east-1';
  const accessKeyId = options.accessKeyId ?? randomAccessKeyId();
  const secretAccessKey = options.secretAccessKey ?? randomBytes(30).toString('base64');
  const store = new SecretsManagerStore({ region, accountId: options.accountId ?? '123456789012', clock });
  const verifier = createSigV4Verifier({
    accessKeyId,
    secretAccessKey,
    region,
    service: 'secretsmanager',
    clock,
  });

  function handle(request: EmulatorRequest, operation: string | undefined): EmulatorResponse {
    const authFailure = verifier.verify(request);
    if (authFailure) return awsError(authFailure.code, authFailure.message, 400, clock);
    const run = operation === undefined ? undefined : operations[operation];
    if (!run) return awsError('UnknownOperationException', 'Unknown operation', 400, clock);
    const input = readJsonBody(request, { whenEmpty: {} });
    if (!input.ok)
      return awsError('SerializationException', 'The request body is not valid JSON.', 400, clock);
    try {
      const output = run(store, input.value);
      return { status: 200, headers: awsHeaders(clock), ...(output === undefined ? {} : { body: output }) };
    } catch (error) {
      if (error instanceof AwsApiError) return awsError(error.code, error.message, error.status, clock);
      throw error;
    }
  }

  const api: EmulatorApi = {
    // The combined per-region write quota; rotor's sink writes only with these three. No Retry-After.
    quotas: [
      {
        name: 'writes',
        routes: ['PutSecretValue', 'UpdateSecretVersionStage', 'UpdateSecret'],
        requests: 50,
        perMs: 1_000,
        retryAfter: false,
      },
    ],
    resolve(request) {
      const target = request.headers['x-amz-target'];
      const named = target?.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : undefined;
      const isOperation = request.method === 'POST' && request.path === '/' && named !== undefined;
      const operation = isOperation && Object.hasOwn(operations, named) ? named : undefined;
      return { routeId: operation ?? 'UnknownOperation', handle: () => handle(request, operation) };
    },
    errorResponse(status, retryAfterSeconds, message) {
      const text = (own: string) => message ?? own;
      if (status === 429) {
        const response = awsError('ThrottlingException', text('Rate exceeded'), 400, clock);
        if (retryAfterSeconds === undefined) return response;
        return { ...response, headers: { ...response.headers, 'retry-after': String(retryAfterSeconds) } };
      }
      if (status === 503) return awsError('ServiceUnavailable', text('Service is unavailable.'), 503, clock);
      if (status >= 500)
        return awsError('InternalServiceError', text('An error occurred on the server side.'), status, clock);
      if (status === 401 || status === 403) {
        return awsError(
          'AccessDeniedException',
          text('User is not authorized to perform this operation.'),
          400,
          clock,
        );
      }
      if (status === 404) {
        return awsError(
          'ResourceNotFoundException',
          text("Secrets Manager can't find the specified secret."),
          400,
          clock,
        );
      }
      return awsError('InvalidRequestException', text('The request is not valid.'), 400, clock);
    },
    malformedResponse() {
      return { status: 200, headers: awsHeaders(clock), body: '{"ARN":"arn:aws:secretsmanager:' };
    },
    control: (request, name) => awsSecretsManagerControl(store, request, name),
  };

  const server = await startEmulatorServer(api, options);
  return {
    server,
    client: { endpoint: server.origin, region, accessKeyId, secretAccessKey },
    store,
  };
}

export const awsSecretsManagerEmulator: Emulator = {
  name: 'aws',
  start: (options) => startAwsSecretsManagerEmulator(options),
};
