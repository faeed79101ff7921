import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { PolicyConfig, RotorConfig } from '../../src/config/rotor-config.js';
import { connectRedis, type RedisInfrastructure } from '../../src/daemon/redis-infrastructure.js';
import { RedisReachability } from '../../src/daemon/redis-reachability.js';
import { systemClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/logger.js';
import { requestRotation } from '../../src/queue/rotation-requests.js';
import { AwsSecrets, type Stage } from './aws-secrets.js';
import { type DaemonProcess, type DaemonProcessOptions, startDaemonProcess } from './daemon-process.js';
import { finishedJob } from './finished-job.js';
import type { ProviderWorld, WorldSections } from './open-provider-world.js';
import type { ProviderFixture } from './provider-fixture.js';
import { fixtureFor, type MeasuredOutcome, measureOutcome, type Place, suiteLeaks } from './suite-outcome.js';
import { startWebhookReceiver } from './webhook-receiver.js';
import { loadWorldConfig } from './world-config.js';

export type { Stage } from './aws-secrets.js';

/** The config sections a scene may add; `alerts` is always the scene's own webhook receiver. */
export type SceneSections = Omit<WorldSections, 'alerts'>;

/**
 * One world's daemon as an operator runs it: a config file, `rotor start` processes (their output kept), a
 * signed webhook receiver for every alert rotor sends, the official AWS SDK on the AWS emulator, and the
 * queue and records (rotor's own code) on the world's Redis.
 */
export class Scene {
  readonly output: string[] = [];
  daemon: DaemonProcess | undefined;
  readonly infra: RedisInfrastructure;
  /** The world's AWS Secrets Manager through the official SDK. */
  readonly aws: AwsSecrets;

  private constructor(
    readonly world: ProviderWorld,
    readonly config: RotorConfig,
    readonly receiver: Awaited<ReturnType<typeof startWebhookReceiver>>,
    readonly workDir: string,
    /** The world's environment plus the scene's own variables (e.g. API tokens): what `rotor start` gets. */
    readonly env: Readonly<Record<string, string>>,
    private readonly ownSecrets: readonly string[],
  ) {
    // The suite's own connections: their reconnect warnings (a suite that stops Redis) are not the daemon's.
    this.infra = connectRedis(config, {
      reachability: new RedisReachability(
        'the suite’s Redis',
        createLogger({ level: 'silent' }),
        systemClock,
      ),
    });
    this.aws = new AwsSecrets(world.aws.client);
  }

  /**
   * `secretEnv`: variables of the scene's own that hold secrets (e.g. the tokens an `api:` section names);
   * the daemon gets them, and they are scanned for leaks like the world's secrets.
   */
  static async open(
    world: ProviderWorld,
    entries: readonly string[],
    extra: SceneSections = {},
    secretEnv: Readonly<Record<string, string>> = {},
  ): Promise<Scene> {
    const receiver = await startWebhookReceiver(world.env.WORLD_WEBHOOK_SECRET);
    // Every event rotor sends by default goes to the receiver (its bodies are scanned for leaks too).
    const sections: WorldSections = {
      ...extra,
      alerts: `endpoints:\n  - { name: ops, url: "${receiver.url}", secret: { env: WORLD_WEBHOOK_SECRET } }`,
    };
    const env = { ...world.env, ...secretEnv };
    const yaml = world.yaml(entries, sections);
    const config = await loadWorldConfig(yaml, env);
    const workDir = await mkdtemp(join(tmpdir(), 'rotor-scene-'));
    await writeFile(join(workDir, 'rotor.yaml'), yaml);
    return new Scene(world, config, receiver, workDir, env, Object.values(secretEnv));
  }

  policy(id: string): PolicyConfig {
    const policy = this.config.policies.find((candidate) => candidate.id === id);
    if (!policy) throw new Error(`no policy ${id} in the test config`);
    return policy;
  }

  fixtureOf(policy: PolicyConfig): ProviderFixture {
    return fixtureFor(this.world, policy);
  }

  async startDaemon(options: DaemonProcessOptions = {}): Promise<void> {
    this.daemon = await startDaemonProcess(join(this.workDir, 'rotor.yaml'), this.env, this.output, options);
  }

  async stopDaemon(how: 'stop' | 'kill' = 'stop'): Promise<void> {
    await (how === 'kill' ? this.daemon?.kill() : this.daemon?.stop());
    this.daemon = undefined;
  }

  /** One rotation through the daemon, asked for as `rotor rotate` does, named as if asked for at `nowMs`. */
  async rotate(policy: PolicyConfig, nowMs = Date.now()): Promise<string> {
    const { jobId } = await requestRotation(this.infra.queue, policy, 'manual', { nowMs });
    const job = await finishedJob(this.infra.queue, jobId);
    expect(await job.getState(), `${jobId}: ${job.failedReason}`).toBe('completed');
    return jobId;
  }

  /** A version of the policy's secret, by label or id, read with the official AWS SDK (undefined: none). */
  async awsVersion(
    policy: PolicyConfig,
    which: Stage | { readonly versionId: string },
  ): Promise<{ versionId: string; credential: unknown } | undefined> {
    return this.aws.version(policy.secret.id, which);
  }

  /** Every version of the policy's secret with its staging labels (unlabelled ones too), as the SDK lists them. */
  async awsVersions(policy: PolicyConfig): Promise<Map<string, string[]>> {
    const listed = await this.aws.versions(policy.secret.id);
    return new Map(listed.map((version) => [version.versionId, [...version.stages]]));
  }

  /** Whether the vendor accepts the credential of that AWS version (a real authenticated call). */
  async accepts(policy: PolicyConfig, which: Stage | { readonly versionId: string }): Promise<boolean> {
    const version = await this.awsVersion(policy, which);
    return version !== undefined && (await this.fixtureOf(policy).accepts(version.credential));
  }

  /** Writes a version with the given labels through the SDK, as a run that lost its record would have. */
  async putVersion(policy: PolicyConfig, credential: unknown, stages: readonly Stage[]): Promise<string> {
    return this.aws.put(policy.secret.id, credential, stages);
  }

  /** Issue calls every vendor emulator has handled so far. */
  issues(): number {
    return this.world.fixtures.reduce(
      (sum, fixture) => sum + fixture.server.calls.handled(fixture.issueRoute).length,
      0,
    );
  }

  /**
   * Every hit of every world secret, in each stored form, in the daemons' output, Redis, webhook bodies and
   * the texts given (e.g. API answers the test read).
   */
  async leaks(texts: readonly Place[] = []): Promise<string[]> {
    return suiteLeaks(this.world, [...this.#texts(), ...texts], this.ownSecrets);
  }

  /**
   * The fault summary's measured columns for these policies (default every policy of the scene): credentials
   * lost, credentials live at the vendors beyond what the policies hold, leaks (with `texts` scanned too).
   */
  outcome(
    policies: readonly PolicyConfig[] = this.config.policies,
    texts: readonly Place[] = [],
  ): Promise<MeasuredOutcome> {
    return measureOutcome({
      world: this.world,
      aws: this.aws,
      policies,
      texts: [...this.#texts(), ...texts],
      extraSecrets: this.ownSecrets,
    });
  }

  /** What rotor produced that the scene keeps: the daemons' output and every webhook body. */
  #texts(): Place[] {
    return [
      ['the daemon output', this.output.join('')],
      ...this.receiver.received.map((alert, index): Place => [`webhook body #${index}`, alert.body]),
    ];
  }

  /** Delivered alerts (signature verified) of one type. */
  alerts(type: string): { type: string; data: Record<string, unknown> }[] {
    return (this.receiver.delivered() as { type: string; data: Record<string, unknown> }[]).filter(
      (alert) => alert.type === type,
    );
  }

  async close(): Promise<void> {
    await this.stopDaemon();
    await this.infra.close();
    this.aws.close();
    await this.receiver.close();
    await this.world.close();
    await rm(this.workDir, { recursive: true, force: true });
  }
}
