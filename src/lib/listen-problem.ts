import { createServer } from 'node:net';

/** Why `host:port` cannot be listened on now (e.g. `EADDRINUSE`), or undefined when it can. */
export async function listenProblem(host: string, port: number): Promise<string | undefined> {
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port, exclusive: true }, resolve);
    });
    return undefined;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? code : String(error);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
