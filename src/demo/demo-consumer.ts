import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Webhook } from 'standardwebhooks';
import type { ConsumerConfig, PolicyConfig, RotorConfig } from '../config/rotor-config.js';
import { listenAddressOf } from '../emulator-harness/listen-address.js';
import type { StepEvent } from '../engine/ports.js';
import { boundedText } from '../lib/bounded-body.js';

export interface DemoConsumers {
  /** One line per consumer: its name, policy and where it listens. */
  readonly described: readonly string[];
  close(): Promise<void>;
}

interface ReloadMessage {
  readonly data: { readonly secretId: string; readonly versionId: string };
}

const MAX_BODY_BYTES = 64 * 1024;

/**
 * One consumer as a service would run it: its reload hook verifies rotor's Standard Webhooks signature and reads
 * AWSCURRENT with the AWS SDK (the value is neither kept nor printed), and `GET <poll path>` answers the
 * version it now uses. It tells the demo's step lines when it reloads and when rotor first sees the new version.
 */
async function startConsumer(
  policy: PolicyConfig,
  consumer: ConsumerConfig & { reload: NonNullable<ConsumerConfig['reload']> },
  poll: { readonly url: string },
  sm: SecretsManagerClient,
  observe: (event: StepEvent) => void,
): Promise<Server> {
  const reloadPath = new URL(consumer.reload.url).pathname;
  const pollPath = new URL(poll.url).pathname;
  const verifier = new Webhook(consumer.reload.secret.reveal());
  let inUse: string | undefined;
  let confirmed: string | undefined;
  const step = (name: string, versionId: string, note: string) =>
    observe({ policyId: policy.id, runId: `${consumer.name}-${versionId}`, step: name, versionId, note });

  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === pollPath) {
      if (inUse !== undefined && inUse !== confirmed) {
        confirmed = inUse;
        step('confirm', inUse, `${consumer.name} told rotor it uses this version`);
      }
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify(inUse === undefined ? {} : { versionId: inUse }));
      return;
    }
    if (req.method !== 'POST' || req.url !== reloadPath) {
      res.writeHead(404).end();
      return;
    }
    void (async () => {
      const body = await boundedText(req, MAX_BODY_BYTES);
      let message: ReloadMessage;
      try {
        message = verifier.verify(body ?? '', req.headers as Record<string, string>) as ReloadMessage;
      } catch {
        res.writeHead(401).end();
        return;
      }
      try {
        const read = await sm.send(
          new GetSecretValueCommand({ SecretId: message.data.secretId, VersionStage: 'AWSCURRENT' }),
        );
        if (read.VersionId === undefined || read.SecretString === undefined) throw new Error('no AWSCURRENT');
        // A real service would rebuild its client with read.SecretString here; the demo only notes the version.
        inUse = read.VersionId;
        step('reload', read.VersionId, `${consumer.name} read AWSCURRENT`);
        res.writeHead(204).end();
      } catch {
        // Not reloaded: rotor retries the hook with backoff.
        res.writeHead(503).end();
      }
    })();
  });
  server.listen(listenAddressOf(consumer.reload.url, `consumer ${consumer.name}`));
  await once(server, 'listening');
  return server;
}

/**
 * The services the demo config names as consumers, run by the demo itself: each needs a reload hook and a
 * confirmation URL on the same host and port, where it listens.
 */
export async function startDemoConsumers(
  config: RotorConfig,
  observe: (event: StepEvent) => void,
): Promise<DemoConsumers> {
  const { endpoint, region, credentials } = config.sink;
  const sm = new SecretsManagerClient({
    ...(endpoint === undefined ? {} : { endpoint }),
    region,
    ...(credentials === undefined
      ? {}
      : {
          credentials: {
            accessKeyId: credentials.accessKeyId.reveal(),
            secretAccessKey: credentials.secretAccessKey.reveal(),
          },
        }),
  });
  const servers: Server[] = [];
  const close = async () => {
    await Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
          }),
      ),
    );
    sm.destroy();
  };
  const described: string[] = [];
  try {
    for (const policy of config.policies) {
      for (const consumer of policy.consumers?.list ?? []) {
        const { reload, confirm } = consumer;
        if (
          reload === undefined ||
          confirm?.kind !== 'poll' ||
          new URL(reload.url).host !== new URL(confirm.url).host
        )
          throw new Error(
            `the demo runs consumer ${consumer.name} itself: it needs a reload hook and a confirmation URL (poll) on the same host and port`,
          );
        servers.push(await startConsumer(policy, { ...consumer, reload }, confirm, sm, observe));
        described.push(
          `consumer ${consumer.name} of ${policy.id}  ${new URL(reload.url).origin}  (reload hook, GET ${new URL(confirm.url).pathname})`,
        );
      }
    }
    return { described, close };
  } catch (error) {
    await close();
    throw error;
  }
}
