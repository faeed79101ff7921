import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedAlert {
  readonly headers: Record<string, string>;
  readonly body: string;
  /** The parsed body when its Standard Webhooks signature verified; undefined when it did not. */
  readonly verified: unknown;
}

/**
 * A real HTTP receiver, as a customer would run one: verifies each Standard Webhooks signature with the
 * official library, and can be told to answer with an error for its next requests.
 */
export async function startWebhookReceiver(secret: string | undefined) {
  const received: ReceivedAlert[] = [];
  let failNext = 0;
  let failAlways = false;
  const verifier = secret === undefined ? undefined : new Webhook(secret);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([name, value]) => [name, String(value)]),
      );
      if (failAlways || failNext > 0) {
        failNext = Math.max(failNext - 1, 0);
        received.push({ headers, body, verified: undefined });
        res.writeHead(503).end('receiver down');
        return;
      }
      let verified: unknown;
      try {
        verified = verifier ? verifier.verify(body, headers) : JSON.parse(body);
      } catch {
        verified = undefined;
      }
      received.push({ headers, body, verified });
      res.writeHead(verified === undefined ? 400 : 204).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/rotor`,
    received,
    /** Parsed payloads whose signature verified, in arrival order. */
    delivered: () => received.filter((alert) => alert.verified !== undefined).map((alert) => alert.verified),
    failNextRequests: (count: number) => {
      failNext = count;
    },
    failEveryRequest: () => {
      failAlways = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
