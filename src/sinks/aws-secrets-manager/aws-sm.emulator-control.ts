import { z } from 'zod';
import type { EmulatorRequest, EmulatorResponse } from '../../emulator-harness/emulator-http.js';
import { jsonBodyValue } from '../../emulator-harness/json-body.js';
import { AwsApiError } from './aws-sm.emulator-errors.js';
import type { SecretsManagerStore } from './aws-sm.emulator-store.js';

const rotationEnabledBody = z.strictObject({ secretId: z.string().min(1), enabled: z.boolean() });

const seedBody = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/),
  secretString: z.string().min(1).optional(),
  kmsKeyId: z.string().min(1).optional(),
  tags: z.record(z.string().min(1).max(128), z.string().max(256)).optional(),
});

function guarded(action: () => EmulatorResponse): EmulatorResponse {
  try {
    return action();
  } catch (error) {
    if (error instanceof AwsApiError) return { status: 404, body: { error: error.message } };
    throw error;
  }
}

/**
 * Seeding and inspection over HTTP, for scripts and demos (`/__emulator/<name>`):
 * - `POST rotation-enabled {secretId, enabled}` marks a secret as under AWS's own rotation
 * - `POST secrets {name, secretString?, kmsKeyId?, tags?}` creates a secret
 * - `GET secrets` lists secrets with their tags and version labels (never their values)
 * - `DELETE secrets` forgets every secret
 */
export function awsSecretsManagerControl(
  store: SecretsManagerStore,
  request: EmulatorRequest,
  name: string,
): EmulatorResponse | undefined {
  if (name === 'rotation-enabled' && request.method === 'POST') {
    const body = rotationEnabledBody.safeParse(jsonBodyValue(request));
    if (!body.success) return { status: 400, body: { error: 'expected {secretId, enabled}' } };
    return guarded(() => {
      store.setRotationEnabled(body.data.secretId, body.data.enabled);
      return { status: 200, body: store.view(body.data.secretId) };
    });
  }
  if (name !== 'secrets') return undefined;
  if (request.method === 'GET') return { status: 200, body: { secrets: store.list() } };
  if (request.method === 'DELETE') {
    store.clear();
    return { status: 204 };
  }
  if (request.method === 'POST') {
    const body = seedBody.safeParse(jsonBodyValue(request));
    if (!body.success)
      return { status: 400, body: { error: 'expected {name, secretString?, kmsKeyId?, tags?}' } };
    const { name: secretName, secretString, kmsKeyId, tags } = body.data;
    try {
      const { secret, versionId } = store.create({
        name: secretName,
        kmsKeyId,
        value: secretString === undefined ? undefined : { kind: 'string', text: secretString },
        tags: new Map(Object.entries(tags ?? {})),
      });
      return {
        status: 201,
        body: { arn: secret.arn, name: secret.name, ...(versionId ? { versionId } : {}) },
      };
    } catch (error) {
      if (error instanceof AwsApiError) return { status: 409, body: { error: error.message } };
      throw error;
    }
  }
  return undefined;
}
