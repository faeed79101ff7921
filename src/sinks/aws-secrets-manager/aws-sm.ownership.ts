import type { DescribeSecretResponse, Tag } from '@aws-sdk/client-secrets-manager';
import { protocolFailure } from '../../domain/classify-http.js';
import { RotationError } from '../../domain/errors.js';
import { type SinkSecretState, type SinkTarget, STAGE } from '../sink.js';
import { AWS_SM_SYSTEM } from './aws-sm.errors.js';

export const MANAGED_BY_TAG = 'managed-by';
export const MANAGED_BY_ROTOR = 'rotor';
export const POLICY_TAG = 'rotor-policy';

export const AWSCURRENT = STAGE.current;
export const AWSPENDING = STAGE.pending;
export const AWSPREVIOUS = STAGE.previous;

/** Whose secret this is, by rotor's two tags. */
export type Ownership = 'this-policy' | 'unowned' | { readonly otherPolicy: string };

export function rotorTags(policyId: string): Tag[] {
  return [
    { Key: MANAGED_BY_TAG, Value: MANAGED_BY_ROTOR },
    { Key: POLICY_TAG, Value: policyId },
  ];
}

export function ownershipOf(tags: readonly Tag[] | undefined, policyId: string): Ownership {
  const tagValue = (key: string) => tags?.find((tag) => tag.Key === key)?.Value;
  if (tagValue(MANAGED_BY_TAG) !== MANAGED_BY_ROTOR) return 'unowned';
  const owner = tagValue(POLICY_TAG);
  return owner === policyId ? 'this-policy' : { otherPolicy: owner ?? '(no rotor-policy tag)' };
}

/**
 * Why rotor must not write this secret for this policy, as an `invalid-config` RotationError, or undefined
 * when it may: the secret is this policy's, or it is nobody's and the policy adopts it. A secret under AWS's
 * own rotation is refused always: two rotators would fight over AWSCURRENT.
 */
export function refusalFor(
  target: SinkTarget,
  description: DescribeSecretResponse,
): RotationError | undefined {
  const refuse = (reason: string) =>
    new RotationError(
      'invalid-config',
      `${AWS_SM_SYSTEM} refuses secret ${target.secretId} for policy ${target.policyId}: ${reason}`,
      { system: AWS_SM_SYSTEM, policyId: target.policyId },
    );
  if (description.RotationEnabled === true) {
    return refuse(
      "it is under AWS's own rotation (RotationEnabled: true); turn that rotation off or point the policy at another secret",
    );
  }
  const ownership = ownershipOf(description.Tags, target.policyId);
  if (ownership === 'this-policy') return undefined;
  if (ownership === 'unowned') {
    if (target.adopt) return undefined;
    return refuse(
      `rotor did not create it (it lacks the tags ${MANAGED_BY_TAG}: ${MANAGED_BY_ROTOR} and ${POLICY_TAG}: ${target.policyId}); set secret.adopt: true to let rotor take it over`,
    );
  }
  return refuse(
    `it belongs to rotor policy ${ownership.otherPolicy} (tag ${POLICY_TAG}); two policies must not write one secret`,
  );
}

/** The staging labels of a described secret, as the sink reports them. */
export function stateOf(operation: string, description: DescribeSecretResponse): SinkSecretState {
  if (description.ARN === undefined)
    throw protocolFailure(AWS_SM_SYSTEM, operation, 'the response has no ARN');
  const stages = Object.entries(description.VersionIdsToStages ?? {});
  const holder = (stage: string) => stages.find(([, labels]) => labels.includes(stage))?.[0];
  return {
    arn: description.ARN,
    currentVersionId: holder(AWSCURRENT),
    pendingVersionId: holder(AWSPENDING),
    previousVersionId: holder(AWSPREVIOUS),
    labelledVersionIds: stages.filter(([, labels]) => labels.length > 0).map(([versionId]) => versionId),
  };
}
