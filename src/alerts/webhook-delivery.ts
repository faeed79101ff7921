import { type Job, UnrecoverableError } from 'bullmq';
import { request } from 'undici';
import type { AlertEndpointConfig } from '../config/rotor-config.js';
import type { Clock } from '../lib/clock.js';
import { withDeadline } from '../lib/deadline.js';
import { deliveryPayloadSchema } from './alert-jobs.js';
import { jsonBody, slackBody } from './webhook-body.js';
import { signatureHeaders } from './webhook-signing.js';

/**
 * Delivers one alert to one endpoint: signed per Standard Webhooks, within the endpoint's timeout. Any
 * answer but 2xx, or none, throws so BullMQ retries with backoff; errors never contain the URL (it may be
 * a credential) or the response body.
 */
export function createDeliveryProcessor(
  endpoints: readonly AlertEndpointConfig[],
  clock: Clock,
): (job: Job) => Promise<number> {
  const byName = new Map(endpoints.map((endpoint) => [endpoint.name, endpoint]));
  return async (job) => {
    const parsed = deliveryPayloadSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError('malformed alert delivery job');
    const { endpoint: name, event } = parsed.data;
    const endpoint = byName.get(name);
    if (!endpoint) throw new UnrecoverableError(`alert endpoint "${name}" is not in the config`);
    const body = endpoint.format === 'slack' ? slackBody(event) : jsonBody(event);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'rotor-alerts',
      ...(endpoint.secret ? signatureHeaders(endpoint.secret, event.id, new Date(clock.now()), body) : {}),
    };
    let status: number;
    try {
      status = await withDeadline(endpoint.timeoutMs, async (signal) => {
        const response = await request(endpoint.url.reveal(), { method: 'POST', headers, body, signal });
        await response.body.dump();
        return response.statusCode;
      });
    } catch (error) {
      const code = (error as { code?: unknown; name?: unknown }).code ?? (error as { name?: unknown }).name;
      throw new Error(
        `endpoint ${name} did not answer (${typeof code === 'string' ? code : 'network error'})`,
      );
    }
    if (status < 200 || status >= 300) throw new Error(`endpoint ${name} answered HTTP ${status}`);
    return status;
  };
}
