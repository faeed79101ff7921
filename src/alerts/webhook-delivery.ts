import { type Job, UnrecoverableError } from 'bullmq';
import type { AlertEndpointConfig } from '../config/rotor-config.js';
import type { Redactor } from '../domain/secret-redactor.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { postSigned } from '../lib/signed-post.js';
import { logUnexpected } from '../lib/unexpected-error.js';
import { deliveryPayloadSchema } from './alert-jobs.js';
import { jsonBody, slackBody } from './webhook-body.js';

/**
 * Delivers one alert to one endpoint: signed per Standard Webhooks, within the endpoint's timeout. Any
 * answer but 2xx, or none, throws so BullMQ retries with backoff; errors never contain the URL (it may be
 * a credential) or the response body.
 */
export function createDeliveryProcessor(
  endpoints: readonly AlertEndpointConfig[],
  clock: Clock,
  redactor: Redactor = { redact: (text) => text },
  log?: Logger,
): (job: Job) => Promise<number> {
  const deliver = deliveryOf(endpoints, clock, redactor);
  return async (job) => {
    try {
      return await deliver(job);
    } catch (error) {
      if (log && !(error instanceof DeliveryFailure) && !(error instanceof UnrecoverableError)) {
        logUnexpected(log, error, { deliveryId: job.id }, 'unexpected failure delivering an alert');
      }
      throw error;
    }
  };
}

/** An endpoint that did not answer, or answered other than 2xx: retried with backoff. */
class DeliveryFailure extends Error {
  override readonly name = 'DeliveryFailure';
}

function deliveryOf(
  endpoints: readonly AlertEndpointConfig[],
  clock: Clock,
  redactor: Redactor,
): (job: Job) => Promise<number> {
  const byName = new Map(endpoints.map((endpoint) => [endpoint.name, endpoint]));
  return async (job) => {
    const parsed = deliveryPayloadSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError('malformed alert delivery job');
    const { endpoint: name, event } = parsed.data;
    const endpoint = byName.get(name);
    if (!endpoint) throw new UnrecoverableError(`alert endpoint "${name}" is not in the config`);
    // Signed after redaction: the receiver verifies exactly what it got.
    const body = redactor.redact(endpoint.format === 'slack' ? slackBody(event) : jsonBody(event));
    const outcome = await postSigned(endpoint.url.reveal(), {
      id: event.id,
      at: new Date(clock.now()),
      body,
      secret: endpoint.secret,
      timeoutMs: endpoint.timeoutMs,
      userAgent: 'rotor-alerts',
    });
    if ('unreachable' in outcome)
      throw new DeliveryFailure(`endpoint ${name} did not answer (${outcome.unreachable})`);
    const { status } = outcome;
    if (status < 200 || status >= 300) throw new DeliveryFailure(`endpoint ${name} answered HTTP ${status}`);
    return status;
  };
}
