import {
  CreateSecretCommand,
  DescribeSecretCommand,
  type DescribeSecretResponse,
  GetSecretValueCommand,
  PutSecretValueCommand,
  TagResourceCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { protocolFailure } from '../../domain/classify-http.js';
import { isRotationError, RotationError } from '../../domain/errors.js';
import { uuidV5 } from '../../domain/ids.js';
import { Secret } from '../../domain/secret.js';
import type { Resolved } from '../../domain/secret-reference.js';
import { type Clock, systemClock } from '../../lib/clock.js';
import { openGate, type RateLimiter } from '../../rate-limit/request-gate.js';
import type { PromoteOutcome, SecretSink, SinkSecretState, SinkTarget } from '../sink.js';
import { createAwsSecretsManagerCaller } from './aws-sm.client.js';
import { AWS_SM_SYSTEM } from './aws-sm.errors.js';
import { inspectMany } from './aws-sm.inspect-many.js';
import { AWSCURRENT, AWSPENDING, ownershipOf, refusalFor, rotorTags, stateOf } from './aws-sm.ownership.js';
import type { AwsSecretsManagerSettings } from './aws-sm.settings.js';

// Namespace of the CreateSecret idempotency tokens (a fixed random UUID): stable across processes.
const CREATE_TOKEN_NAMESPACE = '6b1f0c52-3e7a-4d9b-a8c4-91e25f7d0a3c';

export interface AwsSecretsManagerSinkOptions {
  /** Reads "now" for Retry-After dates. */
  readonly clock?: Clock;
  /** Holds rotor's writes to `settings.rateLimit`, shared by every replica; absent = no client-side limit. */
  readonly limiter?: RateLimiter;
}

const isNotFound = (error: unknown): boolean => isRotationError(error) && error.kind === 'not-found';
/** AWS refused a label move as impossible for the labels as they are now (UpdateSecretVersionStage). */
const isInvalidParameter = (error: unknown): boolean =>
  isRotationError(error) && error.details.vendorCode === 'InvalidParameterException';

/**
 * rotor's sink on AWS Secrets Manager: versions are staged as AWSPENDING and promoted to AWSCURRENT (AWS moves
 * AWSPREVIOUS itself). It writes only to secrets tagged as the policy's, or adopted ones, and never to a secret
 * under AWS's own rotation.
 */
export function createAwsSecretsManagerSink(
  settings: Resolved<AwsSecretsManagerSettings>,
  options: AwsSecretsManagerSinkOptions = {},
): SecretSink & { close(): void } {
  const writeGate =
    options.limiter === undefined || settings.rateLimit === false
      ? openGate
      : options.limiter.gate(`${AWS_SM_SYSTEM}:${settings.region}:writes`, settings.rateLimit);
  const aws = createAwsSecretsManagerCaller(settings, options.clock ?? systemClock, writeGate);

  async function describe(
    secretId: string,
    signal: AbortSignal,
  ): Promise<DescribeSecretResponse | undefined> {
    try {
      return await aws.call('DescribeSecret', signal, (client, thisCall) =>
        client.send(thisCall(new DescribeSecretCommand({ SecretId: secretId }))),
      );
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** The secret's description, after checking rotor may write it; fails when it does not exist. */
  async function describeWritable(
    target: SinkTarget,
    operation: string,
    signal: AbortSignal,
  ): Promise<DescribeSecretResponse> {
    const description = await describe(target.secretId, signal);
    if (!description) {
      throw new RotationError(
        'not-found',
        `${AWS_SM_SYSTEM} ${operation}: secret ${target.secretId} does not exist (ensure creates it)`,
        { system: AWS_SM_SYSTEM, operation, policyId: target.policyId },
      );
    }
    const refusal = refusalFor(target, description);
    if (refusal) throw refusal;
    return description;
  }

  async function inspect(target: SinkTarget, signal: AbortSignal): Promise<SinkSecretState | undefined> {
    const description = await describe(target.secretId, signal);
    if (!description) return undefined;
    const refusal = refusalFor(target, description);
    if (refusal) throw refusal;
    return stateOf('DescribeSecret', description);
  }

  async function create(target: SinkTarget, signal: AbortSignal): Promise<SinkSecretState> {
    if (target.secretId.startsWith('arn:')) {
      throw new RotationError(
        'invalid-config',
        `${AWS_SM_SYSTEM} secret ${target.secretId} does not exist, and a secret cannot be created from an ARN: give its name`,
        { system: AWS_SM_SYSTEM, operation: 'CreateSecret', policyId: target.policyId },
      );
    }
    const ownTags = rotorTags(target.policyId);
    const extraTags = Object.entries(settings.tags)
      .filter(([key]) => !ownTags.some((tag) => tag.Key === key))
      .map(([Key, Value]) => ({ Key, Value }));
    try {
      const created = await aws.call('CreateSecret', signal, (client, thisCall) =>
        client.send(
          thisCall(
            new CreateSecretCommand({
              Name: target.secretId,
              // Deterministic, so a create retried after a lost response is recognised as the same request.
              ClientRequestToken: uuidV5(`create#${target.secretId}`, CREATE_TOKEN_NAMESPACE),
              Description: `Rotated by rotor (policy ${target.policyId})`,
              Tags: [...ownTags, ...extraTags],
              ...(settings.kmsKeyId === undefined ? {} : { KmsKeyId: settings.kmsKeyId }),
            }),
          ),
        ),
      );
      if (created.ARN === undefined) {
        throw new RotationError('protocol', `${AWS_SM_SYSTEM} CreateSecret returned no ARN`, {
          system: AWS_SM_SYSTEM,
          operation: 'CreateSecret',
        });
      }
      return {
        arn: created.ARN,
        currentVersionId: undefined,
        pendingVersionId: undefined,
        previousVersionId: undefined,
        labelledVersionIds: [],
      };
    } catch (error) {
      // Another replica created it first: judge the secret that now exists.
      if (isRotationError(error) && error.details.vendorCode === 'ResourceExistsException') {
        const state = await inspect(target, signal);
        if (state) return state;
      }
      throw error;
    }
  }

  return {
    id: AWS_SM_SYSTEM,
    inspect,
    inspectMany: (targets, signal) => inspectMany(aws, inspect, targets, signal),

    async ensure(target, signal) {
      const description = await describe(target.secretId, signal);
      if (!description) return create(target, signal);
      const refusal = refusalFor(target, description);
      if (refusal) throw refusal;
      if (ownershipOf(description.Tags, target.policyId) === 'unowned') {
        await aws.call('TagResource', signal, (client, thisCall) =>
          client.send(
            thisCall(new TagResourceCommand({ SecretId: target.secretId, Tags: rotorTags(target.policyId) })),
          ),
        );
      }
      return stateOf('DescribeSecret', description);
    },

    async stage(target, versionId, value, signal) {
      await aws.call('PutSecretValue', signal, (client, thisCall) =>
        client.send(
          thisCall(
            new PutSecretValueCommand({
              SecretId: target.secretId,
              ClientRequestToken: versionId,
              SecretString: value.reveal(),
              VersionStages: [AWSPENDING],
            }),
          ),
        ),
      );
    },

    async read(target, version, signal) {
      const selector =
        version === 'current' ? { VersionStage: AWSCURRENT } : { VersionId: version.versionId };
      try {
        const output = await aws.call('GetSecretValue', signal, (client, thisCall) =>
          client.send(thisCall(new GetSecretValueCommand({ SecretId: target.secretId, ...selector }))),
        );
        if (output.SecretString === undefined) {
          throw new RotationError(
            'protocol',
            `${AWS_SM_SYSTEM} GetSecretValue: secret ${target.secretId} holds a binary value; rotor stores strings`,
            { system: AWS_SM_SYSTEM, operation: 'GetSecretValue' },
          );
        }
        const versionId = output.VersionId ?? (version === 'current' ? undefined : version.versionId);
        if (versionId === undefined) {
          throw protocolFailure(AWS_SM_SYSTEM, 'GetSecretValue', 'the response has no VersionId');
        }
        return {
          ...(output.ARN === undefined ? {} : { arn: output.ARN }),
          versionId,
          value: Secret.of(output.SecretString),
          stages: output.VersionStages ?? [],
          ...(output.CreatedDate === undefined ? {} : { createdAt: output.CreatedDate.getTime() }),
        };
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },

    async promote(target, versionId, expectedCurrent, signal) {
      const moveLabel = (stage: string, moveTo: string | undefined, removeFrom: string | undefined) =>
        updateVersionStage(target, { stage, moveTo, removeFrom }, signal);
      const removePending = async (): Promise<PromoteOutcome> => {
        try {
          await moveLabel(AWSPENDING, undefined, versionId);
        } catch (error) {
          // Already gone from this version (a repeated promote): nothing left to do.
          if (!isInvalidParameter(error)) throw error;
        }
        return { kind: 'promoted' };
      };
      try {
        // AWS checks RemoveFromVersionId holds AWSCURRENT (and, without it, that no other version does — the
        // first PutSecretValue of a secret makes its version AWSCURRENT by itself, and moving the label onto
        // the version that holds it is allowed): the compare-and-set that keeps a superseded run from
        // demoting a newer credential.
        await moveLabel(AWSCURRENT, versionId, expectedCurrent);
      } catch (error) {
        if (!isInvalidParameter(error)) throw error;
        // Refused: either this version is current already (a repeated promote) or the secret moved on.
        const description = await describeWritable(target, 'UpdateSecretVersionStage', signal);
        const state = stateOf('DescribeSecret', description);
        if (state.currentVersionId !== versionId) {
          if (state.currentVersionId !== expectedCurrent) {
            return { kind: 'superseded', currentVersionId: state.currentVersionId };
          }
          throw new RotationError(
            'not-found',
            `${AWS_SM_SYSTEM} cannot promote version ${versionId} of secret ${target.secretId}: it has no staging labels (never staged, or deprecated)`,
            { system: AWS_SM_SYSTEM, operation: 'UpdateSecretVersionStage', policyId: target.policyId },
          );
        }
        if (state.pendingVersionId !== versionId) return { kind: 'promoted' };
      }
      return removePending();
    },

    async attachLabel(target, versionId, label, signal) {
      try {
        await updateVersionStage(target, { stage: label, moveTo: versionId, removeFrom: undefined }, signal);
      } catch (error) {
        if (!isInvalidParameter(error)) throw error;
        // Refused only when the label is on another version: say which, so the caller's reason is exact.
        const state = stateOf(
          'DescribeSecret',
          await describeWritable(target, 'UpdateSecretVersionStage', signal),
        );
        throw new RotationError(
          'protocol',
          `${AWS_SM_SYSTEM} cannot label version ${versionId} of secret ${target.secretId} ${label}: ${state.labelledVersionIds.includes(versionId) ? 'the label is on another version' : 'the version has no staging labels (deprecated)'}`,
          { system: AWS_SM_SYSTEM, operation: 'UpdateSecretVersionStage', policyId: target.policyId },
        );
      }
    },

    async moveLabel(target, versionId, label, signal) {
      const description = await describeWritable(target, 'UpdateSecretVersionStage', signal);
      const holder = Object.entries(description.VersionIdsToStages ?? {}).find(([, stages]) =>
        stages.includes(label),
      )?.[0];
      if (holder === versionId) return;
      // RemoveFromVersionId is checked by AWS: a move that raced another fails instead of leaving two holders.
      await updateVersionStage(target, { stage: label, moveTo: versionId, removeFrom: holder }, signal);
    },

    async detachLabel(target, versionId, label, signal) {
      try {
        await updateVersionStage(target, { stage: label, moveTo: undefined, removeFrom: versionId }, signal);
      } catch (error) {
        // Not on this version (detached already): nothing left to do.
        if (!isInvalidParameter(error)) throw error;
      }
    },

    close: () => aws.close(),
  };

  /** One UpdateSecretVersionStage: AWS checks RemoveFromVersionId holds the label (a compare-and-set). */
  function updateVersionStage(
    target: SinkTarget,
    move: { stage: string; moveTo: string | undefined; removeFrom: string | undefined },
    signal: AbortSignal,
  ) {
    return aws.call('UpdateSecretVersionStage', signal, (client, thisCall) =>
      client.send(
        thisCall(
          new UpdateSecretVersionStageCommand({
            SecretId: target.secretId,
            VersionStage: move.stage,
            ...(move.moveTo === undefined ? {} : { MoveToVersionId: move.moveTo }),
            ...(move.removeFrom === undefined ? {} : { RemoveFromVersionId: move.removeFrom }),
          }),
        ),
      ),
    );
  }
}
