import { z } from 'zod';
import { alertEventTypes } from '../domain/alert-events.js';

/** Alert deliveries have their own queue, so a receiver that is down never holds up a rotation. */
export const ALERT_QUEUE = 'alerts';
export const DELIVER_JOB = 'deliver';

export const deliveryPayloadSchema = z.strictObject({
  endpoint: z.string().min(1),
  event: z.strictObject({
    id: z.string().min(1),
    type: z.enum(alertEventTypes),
    time: z.string(),
    policyId: z.string().optional(),
    provider: z.string().optional(),
    runId: z.string().optional(),
    step: z.string().optional(),
    error: z.strictObject({ kind: z.string(), message: z.string() }).optional(),
    secretId: z.string().optional(),
    secretArn: z.string().optional(),
    versionId: z.string().optional(),
    details: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  }),
});
export type DeliveryPayload = z.infer<typeof deliveryPayloadSchema>;
