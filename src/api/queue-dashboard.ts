import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';

export const DASHBOARD_PATH = '/admin/queues';

/** Job data as the dashboard shows it: rotor's ids and reasons only, whatever else a producer put there. */
const SHOWN_FIELDS = [
  'policyId',
  'runId',
  'trigger',
  'reason',
  'requestedBy',
  'apiTokenName',
  'versionId',
  'endpoint',
  'source',
];

function masked(data: unknown): unknown {
  if (typeof data !== 'object' || data === null) return data;
  return Object.fromEntries(
    Object.entries(data as Record<string, unknown>).map(([key, value]) => [
      key,
      SHOWN_FIELDS.includes(key) && typeof value !== 'object' ? value : '[masked]',
    ]),
  );
}

/**
 * The BullMQ dashboard (bull-board) at /admin/queues, behind the API's own auth hook. Read-only unless the
 * config allows actions; job data masked to rotor's ids.
 */
export function registerQueueDashboard(
  app: FastifyInstance,
  queues: readonly Queue[],
  options: { readonly readOnly: boolean },
): void {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  const adapters = queues.map((queue) => {
    const adapter = new BullMQAdapter(queue, {
      readOnlyMode: options.readOnly,
      allowRetries: !options.readOnly,
    });
    adapter.setFormatter('data', masked);
    adapter.setFormatter('returnValue', masked);
    return adapter;
  });
  createBullBoard({ queues: adapters, serverAdapter, options: { uiConfig: { boardTitle: 'rotor queues' } } });
  app.register(serverAdapter.registerPlugin(), { prefix: DASHBOARD_PATH });
}
