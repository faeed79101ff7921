import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request rotor made to the consumer's reload hook, as it arrived. */
export interface ReloadCall {
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * A service that uses a policy's secret, as a customer would run one: `GET /rotor/version` answers the AWS
 * version id it uses (`{"versionId": …}`, 404 while it has none), `POST /rotor/reload` takes rotor's reload hook.
 */
export async function startConsumerService() {
  let versionId: string | undefined;
  const polls: number[] = [];
  const reloads: ReloadCall[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method === 'GET' && req.url === '/rotor/version') {
        polls.push(Date.now());
        if (versionId === undefined) res.writeHead(404).end();
        else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ versionId }));
        return;
      }
      if (req.method === 'POST' && req.url === '/rotor/reload') {
        const headers = Object.fromEntries(
          Object.entries(req.headers).map(([name, value]) => [name, String(value)]),
        );
        reloads.push({ headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(204).end();
        return;
      }
      res.writeHead(404).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  return {
    versionUrl: `${base}/rotor/version`,
    reloadUrl: `${base}/rotor/reload`,
    /** The version the service says it uses from now on. */
    uses: (id: string | undefined) => {
      versionId = id;
    },
    /** When rotor asked for the version, in order (epoch ms). */
    polls,
    reloads,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type ConsumerService = Awaited<ReturnType<typeof startConsumerService>>;
