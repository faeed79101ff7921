import { readinessKinds } from './readiness.js';

/** The API's OpenAPI 3.1 description, served at /openapi.json. */
const errorBody = {
  type: 'object',
  required: ['error', 'message'],
  properties: {
    error: {
      type: 'string',
      enum: ['unauthorized', 'not_found', 'invalid_request', 'not_current', 'held', 'internal'],
    },
    message: { type: 'string' },
  },
};
const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});
const policyIdParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };

const startBlock = {
  kind: { type: 'string', enum: ['window', 'freeze'], description: 'a closed window, or a freeze' },
  freezeReason: { type: 'string', description: 'the freeze’s reason, as configured' },
};
const startDeferral = {
  type: 'object',
  required: ['askedAt', 'startsAt', 'kind'],
  properties: {
    askedAt: {
      type: 'integer',
      description: 'epoch ms; when the run was asked to start (due time plus jitter, or the request)',
    },
    startsAt: {
      type: 'integer',
      description: 'epoch ms; the first moment the policy’s windows and freezes allow',
    },
    ...startBlock,
  },
};

const consumerView = {
  type: 'object',
  required: ['name', 'confirmation', 'confirmed', 'reload'],
  properties: {
    name: { type: 'string' },
    confirmation: {
      type: 'string',
      enum: ['poll', 'ack', 'none'],
      description: 'how the consumer says which AWS version it uses: rotor polls it, it acks, or neither',
    },
    confirmed: {
      type: ['boolean', 'null'],
      description: 'whether it uses the current version; null when it has no confirmation',
    },
    confirmedVersionId: {
      type: 'string',
      description: 'the AWS version it last said it uses (an older one: it is behind)',
    },
    confirmedAt: { type: 'integer', description: 'epoch ms' },
    reload: {
      type: ['object', 'null'],
      description:
        'its reload hook for the current version (an outcome for an older version is `pending`); null when it has none',
      required: ['state'],
      properties: {
        state: { type: 'string', enum: ['reloading', 'failed', 'pending'] },
        versionId: { type: 'string' },
        at: { type: 'integer', description: 'epoch ms' },
        error: { type: 'string', description: 'why the last delivery failed (a status or error code)' },
      },
    },
  },
};
const consumersView = {
  type: 'object',
  description: 'the policy’s consumers against its current version; absent when it has none',
  required: ['list', 'unconfirmed', 'held'],
  properties: {
    list: { type: 'array', items: { $ref: '#/components/schemas/ConsumerView' } },
    unconfirmed: {
      type: 'integer',
      description: 'consumers with a confirmation that have not confirmed the current version',
    },
    held: {
      type: 'array',
      description: 'displaced versions kept live past maxGrace because consumers had not confirmed',
      items: {
        type: 'object',
        required: ['versionId', 'since', 'unconfirmed'],
        properties: {
          versionId: { type: 'string' },
          since: { type: 'integer', description: 'epoch ms' },
          unconfirmed: { type: 'array', items: { type: 'string' } },
        },
      },
    },
    runWaiting: {
      type: 'integer',
      description: 'epoch ms; the due time of a scheduled run that waits until no version is held',
    },
  },
};

const policyStatus = {
  type: 'object',
  required: ['policyId', 'state', 'provider', 'action', 'secretId', 'consecutiveFailures'],
  properties: {
    policyId: { type: 'string' },
    state: { type: 'string', enum: ['idle', 'scheduled', 'running', 'failed', 'paused', 'needs-attention'] },
    needsAttentionSince: { type: 'integer', description: 'epoch ms; scheduled runs are skipped since then' },
    provider: { type: 'string' },
    action: { type: 'string' },
    secretId: { type: 'string', description: 'AWS Secrets Manager secret name or ARN' },
    lastSuccessAt: { type: 'integer', description: 'epoch ms' },
    lastAttemptAt: { type: 'integer', description: 'epoch ms' },
    nextRunAt: {
      type: 'integer',
      description:
        'epoch ms; when the next run is due (a jittered run starts its offset later), or, when the policy’s windows or a freeze defer it, when it may start',
    },
    nextRunDeferred: { ...startDeferral, description: 'why the next run starts later than due' },
    currentVersionId: { type: 'string', description: 'AWS version id holding AWSCURRENT' },
    expiresAt: { type: 'integer', description: 'epoch ms; the credential expiry, when it has one' },
    consecutiveFailures: { type: 'integer' },
    lastError: {
      type: 'object',
      properties: { kind: { type: 'string' }, message: { type: 'string' }, at: { type: 'integer' } },
    },
    rolledBack: {
      type: 'object',
      description:
        'the latest rollback, until the next rotation: the version it took AWSCURRENT from (labelled `rotor-rolled-back` at AWS, never promoted again), its run and when; the current version is the one it restored',
      required: ['versionId', 'handle', 'runId', 'at'],
      properties: {
        versionId: { type: 'string' },
        handle: { type: 'string', description: 'the rolled-back credential’s non-secret id at the vendor' },
        runId: { type: 'string' },
        at: { type: 'integer', description: 'epoch ms' },
      },
    },
    consumers: { $ref: '#/components/schemas/ConsumersView' },
  },
};

const runEntry = {
  type: 'object',
  required: ['runId', 'trigger', 'startedAt', 'finishedAt', 'durationMs', 'outcome', 'steps'],
  properties: {
    runId: { type: 'string' },
    trigger: {
      type: 'string',
      enum: ['schedule', 'manual', 'expiry', 'initial', 'rollback'],
      description:
        '`rollback`: the run put the previous credential back (`rotor rollback`); it issued nothing',
    },
    startedAt: { type: 'integer' },
    finishedAt: { type: 'integer' },
    durationMs: { type: 'integer' },
    outcome: { type: 'string', enum: ['succeeded', 'failed'] },
    steps: { type: 'array', items: { type: 'string' } },
    versionId: { type: 'string' },
    error: {
      type: 'object',
      properties: { kind: { type: 'string' }, message: { type: 'string' }, step: { type: 'string' } },
    },
    reason: { type: 'string', description: 'why the run was asked for, as the requester said' },
    requestedBy: { type: 'string', description: 'who asked for the run, as the requester said' },
    apiTokenName: {
      type: 'string',
      description: 'the API token that asked for the run: its configured name, or `sha256:…` fingerprint',
    },
    forced: {
      type: 'boolean',
      enum: [true],
      description: 'the requester started the run although the policy’s windows or a freeze did not allow it',
    },
    deferred: { ...startDeferral, description: 'the run waited for the policy’s windows' },
    consumers: {
      type: 'array',
      description:
        'on the latest run that made the current version (in `GET /v1/policies/{id}`): each consumer’s state for it',
      items: { $ref: '#/components/schemas/ConsumerView' },
    },
    windowOverride: {
      type: 'object',
      description:
        'a before-expiry run started outside the policy’s windows: the credential expired before they allowed a start',
      required: ['expiresAt', 'allowedAt', 'kind'],
      properties: {
        expiresAt: { type: 'integer', description: 'epoch ms' },
        allowedAt: { type: 'integer', description: 'epoch ms; the next start the windows allowed' },
        ...startBlock,
      },
    },
  },
};

/** Who asks for an on-demand run and why: kept in its history entry, as given. */
const requesterProperties = {
  reason: { type: 'string', maxLength: 500, description: 'why the run is asked for' },
  requestedBy: { type: 'string', maxLength: 200, description: 'who asks (default `http-api`)' },
};

const rollbackAccepted = {
  type: 'object',
  required: ['runId', 'status', 'fromVersionId', 'toVersionId'],
  properties: {
    runId: { type: 'string', description: 'the rollback’s run id (`<policy>-r<epoch ms>`), its job id' },
    status: { type: 'string', enum: ['queued', 'already-pending'] },
    fromVersionId: { type: 'string', description: 'the AWS version it takes AWSCURRENT from' },
    toVersionId: { type: 'string', description: 'the AWS version it restores' },
  },
};

const corruptJob = {
  type: 'object',
  description:
    'a job on the queue whose hash does not parse (its data or options is not JSON): left out of the statuses',
  required: ['id', 'reason'],
  properties: {
    id: { type: 'string', description: 'the BullMQ job id' },
    reason: { type: 'string', description: 'which fields do not parse (never their values)' },
  },
};
const corruptJobs = {
  type: 'array',
  description: 'jobs the read skipped because their hash does not parse; empty when none',
  items: { $ref: '#/components/schemas/CorruptJob' },
};

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'rotor',
    description:
      'Secret-rotation daemon: policy status, run history and on-demand rotations. No response carries a secret value.',
    version: '1',
  },
  security: [{ bearer: [] }],
  components: {
    securitySchemes: {
      bearer: { type: 'http', scheme: 'bearer' },
      consumerAck: {
        type: 'http',
        scheme: 'bearer',
        description: 'a consumer’s own ack token (`confirm.ack` in the policy), not an API token',
      },
    },
    schemas: {
      Error: errorBody,
      PolicyStatus: policyStatus,
      ConsumersView: consumersView,
      ConsumerView: consumerView,
      RunEntry: runEntry,
      CorruptJob: corruptJob,
    },
  },
  paths: {
    '/healthz': {
      get: {
        summary: 'The process is alive',
        security: [],
        responses: { '200': { description: 'alive' } },
      },
    },
    '/readyz': {
      get: {
        summary:
          'Redis and the sink are reachable (the sink asked at most every 5 s, whatever the number of probes), and rotor is not rebuilding its state',
        security: [],
        responses: {
          '200': { description: 'ready' },
          '503': {
            description: `not ready; \`problems\` lists kinds only: ${readinessKinds.join(', ')}`,
          },
        },
      },
    },
    '/v1/readiness': {
      get: {
        summary: 'Readiness with details: each problem as `{kind, detail}`',
        responses: {
          '200': { description: 'ready' },
          '503': { description: 'not ready' },
        },
      },
    },
    '/metrics': {
      get: {
        summary: 'Prometheus metrics (text exposition format)',
        responses: {
          '200': { description: 'metrics', content: { 'text/plain': { schema: { type: 'string' } } } },
          '401': errorResponse('missing or wrong bearer token'),
        },
      },
    },
    '/v1/policies': {
      get: {
        summary: 'Every policy with its status',
        responses: {
          '200': {
            description: 'the policies',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['policies', 'corruptJobs'],
                  properties: {
                    policies: { type: 'array', items: { $ref: '#/components/schemas/PolicyStatus' } },
                    corruptJobs,
                  },
                },
              },
            },
          },
          '401': errorResponse('missing or wrong bearer token'),
        },
      },
    },
    '/v1/policies/{id}': {
      get: {
        summary: 'One policy: status and recent runs',
        parameters: [policyIdParam],
        responses: {
          '200': {
            description: 'the policy',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['policy', 'history', 'corruptJobs'],
                  properties: {
                    policy: { $ref: '#/components/schemas/PolicyStatus' },
                    history: { type: 'array', items: { $ref: '#/components/schemas/RunEntry' } },
                    corruptJobs,
                  },
                },
              },
            },
          },
          '401': errorResponse('missing or wrong bearer token'),
          '404': errorResponse('no such policy'),
        },
      },
    },
    '/v1/policies/{id}/rotations': {
      post: {
        summary: 'Rotate now; joins the run already pending or running',
        parameters: [policyIdParam],
        requestBody: {
          required: false,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                additionalProperties: false,
                properties: {
                  ...requesterProperties,
                  force: {
                    type: 'boolean',
                    description:
                      'start now even where the policy’s windows or a freeze do not allow it, or while a displaced credential is held for consumers (kept in the run history); replaces a run waiting for the windows',
                  },
                },
              },
            },
          },
        },
        responses: {
          '202': {
            description:
              'a new run is queued; `runId` names it; `deferred` ({startsAt, closedBy, freezeReason?}) says when it starts when the policy’s windows or a freeze hold it back',
          },
          '200': { description: 'a run was already pending or running; `runId` names that run' },
          '400': errorResponse('invalid body'),
          '401': errorResponse('missing or wrong bearer token'),
          '404': errorResponse('no such policy'),
          '409': errorResponse(
            '`held`: a displaced credential of the policy is held for consumers that have not confirmed its successor; nothing was requested (`"force": true` rotates anyway)',
          ),
        },
      },
    },
    '/v1/policies/{id}/rollback': {
      post: {
        summary:
          'Put the previous credential back as AWSCURRENT, once the daemon has checked it is still live at the vendor',
        description:
          'Refused at once (409) where a rollback cannot be safe: native-grace actions (the vendor lets the previous secret die on its own), extend actions (nothing to go back to), no previous version, the previous version already rolled back from, expired or revoked. The daemon then reads the previous version at AWS, checks it at the vendor the way a new credential is verified, takes the policy’s fence (no rotation runs meanwhile), moves AWSCURRENT back with a compare-and-set, cancels its pending revoke, releases a hold on it, labels the version it replaced `rotor-rolled-back` and revokes that one after the grace period (or at once with `revokeNow`). Its outcome is the job’s (`GET /v1/runs/{runId}`), the run history’s (trigger `rollback`) and the `rotation.rolled_back` alert.',
        parameters: [policyIdParam],
        requestBody: {
          required: false,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                additionalProperties: false,
                properties: {
                  ...requesterProperties,
                  revokeNow: {
                    type: 'boolean',
                    description:
                      'revoke the rolled-back credential at once instead of after the grace period',
                  },
                },
              },
            },
          },
        },
        responses: {
          '202': {
            description:
              'the rollback is queued: `runId` names it, `fromVersionId` is the version it takes out of use, `toVersionId` the one it restores',
            content: { 'application/json': { schema: rollbackAccepted } },
          },
          '200': {
            description: 'a rollback of the policy was already pending; `runId` names it',
            content: { 'application/json': { schema: rollbackAccepted } },
          },
          '400': errorResponse('invalid body'),
          '401': errorResponse('missing or wrong bearer token'),
          '404': errorResponse('no such policy'),
          '409': errorResponse('`rollback_refused`: why a rollback cannot be safe; nothing was requested'),
        },
      },
    },
    '/v1/policies/{id}/versions/{versionId}/ack': {
      post: {
        summary:
          'A consumer says it uses this AWS version of the policy’s secret; wakes the revokes that wait for it',
        security: [{ consumerAck: [] }],
        parameters: [
          policyIdParam,
          {
            name: 'versionId',
            in: 'path',
            required: true,
            schema: { type: 'string', pattern: '^[A-Za-z0-9-]{32,64}$' },
            description: 'the AWS version id the consumer loaded',
          },
        ],
        responses: {
          '200': {
            description: 'the confirmation is stored',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['policyId', 'consumer', 'versionId', 'confirmedAt'],
                  properties: {
                    policyId: { type: 'string' },
                    consumer: { type: 'string', description: 'the consumer the token names' },
                    versionId: { type: 'string' },
                    confirmedAt: { type: 'string', format: 'date-time' },
                  },
                },
              },
            },
          },
          '400': errorResponse('not an AWS version id'),
          '401': errorResponse(
            'missing or wrong token: not an ack token of one of this policy’s consumers (also for an unknown policy)',
          ),
          '409': errorResponse(
            '`not_current`: the version is not the current version of the policy’s secret',
          ),
        },
      },
    },
    '/v1/runs/{runId}': {
      get: {
        summary: 'One run: state, attempts, steps, AWS version id, error',
        parameters: [{ name: 'runId', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          '200': { description: 'the run' },
          '401': errorResponse('missing or wrong bearer token'),
          '404': errorResponse('no such run'),
        },
      },
    },
  },
} as const;
