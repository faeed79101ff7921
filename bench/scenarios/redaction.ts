import { randomBytes, randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Secret } from '../../src/domain/secret.js';
import { redactStrings, SecretRedactor } from '../../src/domain/secret-redactor.js';
import { cloudflareProvider } from '../../src/providers/cloudflare/index.js';
import type { AnyProvider } from '../../src/providers/provider.js';
import { credentialHoldingSink } from '../../src/queue/job-secrets.js';
import type { SecretSink, StoredVersion } from '../../src/sinks/sink.js';
import type { BenchContext } from '../bench-context.js';
import { type Figure, figure } from '../stats.js';

export interface RedactionSet {
  /** Values registered besides the rotation's own credential. */
  readonly registered: number;
  /** Milliseconds to register them all (what a config load or a fleet of running jobs costs once). */
  readonly indexMs: number;
  /** Memory the redactor's index holds for them (heap and its filter's buffer). */
  readonly indexMiB: number;
  /** Microseconds of redaction work per rotation: holding its credential, redacting its texts, releasing. */
  readonly usPerRotation: Figure;
  /** Of which: holding and releasing the credential (sink stage and read through the job's holding sink). */
  readonly holdUsPerRotation: Figure;
}

export interface RedactionResult {
  readonly rotationsPerRun: number;
  /** Characters of text redacted per rotation (its log lines at debug level, its alert and webhook body). */
  readonly charsPerRotation: number;
  readonly sets: readonly RedactionSet[];
}

/** A Cloudflare rotation's texts, as the daemon writes them: debug log lines, the alert event, the webhook body. */
function rotationTexts(policyId: string, runId: string, versionId: string) {
  const at = () => new Date().toISOString();
  const line = (level: number, fields: Record<string, unknown>, msg: string) =>
    `${JSON.stringify({ level, time: at(), service: 'rotor', policyId, provider: 'cloudflare', ...fields, msg })}\n`;
  const steps = ['issue', 'journal', 'stage', 'verify', 'promote', 'commit'];
  const lines = [
    ...steps.map((step) =>
      line(
        20,
        { runId, step, versionId: step === 'issue' || step === 'journal' ? undefined : versionId },
        `step ${step} done`,
      ),
    ),
    line(30, { runId, trigger: 'manual', versionId, durationMs: 12, steps }, 'rotation succeeded'),
  ];
  const event = {
    id: `evt_${randomUUID()}`,
    time: at(),
    type: 'rotation.succeeded',
    policyId,
    provider: 'cloudflare',
    secretId: `prod/ci/${policyId}`,
    runId,
    versionId,
    secretArn: `arn:aws:secretsmanager:eu-north-1:123456789012:secret:prod/ci/${policyId}-AbCdEf`,
  };
  const body = JSON.stringify({ type: event.type, timestamp: event.time, data: event });
  return { lines, event, body };
}

/** A sink that keeps nothing: what is measured is the holding sink's own work. */
function memorySink(document: Secret<string>): SecretSink {
  const stored: StoredVersion = { versionId: randomUUID(), value: document, stages: ['AWSPREVIOUS'] };
  const state = {
    arn: 'arn',
    currentVersionId: undefined,
    pendingVersionId: undefined,
    previousVersionId: undefined,
    labelledVersionIds: [],
  };
  return {
    id: 'memory',
    inspect: async () => state,
    inspectMany: async () => [],
    ensure: async () => state,
    stage: async () => undefined,
    read: async () => stored,
    promote: async () => ({ kind: 'promoted' }),
    attachLabel: async () => undefined,
    moveLabel: async () => undefined,
    detachLabel: async () => undefined,
  };
}

/** Heap plus array buffers in use after a full collection. */
function memoryInUse(): number {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

const secretValue = () => randomBytes(24 + Math.floor(Math.random() * 16)).toString('base64url');

/**
 * The cost of redaction by value per rotation, in-process: a Cloudflare rotation's credential held by its job
 * (staged, then read back, through the job's holding sink) and released, and its texts redacted — with the
 * secrets a small fleet's daemon holds (~100), and with 10,000 registered.
 */
export async function redaction(ctx: BenchContext): Promise<RedactionResult> {
  const perRun = ctx.quick ? 2_000 : 10_000;
  const policyId = 'ci-runner-access';
  const providerOf = (): AnyProvider => cloudflareProvider as AnyProvider;
  const target = { secretId: `prod/ci/${policyId}`, policyId, adopt: false };
  const signal = new AbortController().signal;
  const sample = rotationTexts(policyId, `${policyId}-m${Date.now()}`, randomUUID());
  const charsPerRotation =
    sample.lines.join('').length + JSON.stringify(sample.event).length + sample.body.length;

  const sets: RedactionSet[] = [];
  for (const registered of [100, 10_000]) {
    const values = Array.from({ length: registered }, secretValue);
    const before = memoryInUse();
    const redactor = new SecretRedactor();
    const indexStart = performance.now();
    redactor.scope().hold(values);
    const indexMs = performance.now() - indexStart;
    const indexMiB = Math.max(0, memoryInUse() - before) / 2 ** 20;
    ctx.progress(`redaction: ${registered} values registered in ${indexMs.toFixed(0)} ms`);

    const total: number[] = [];
    const holding: number[] = [];
    for (let run = 0; run < ctx.runs; run++) {
      let totalMs = 0;
      let holdMs = 0;
      for (let index = 0; index < perRun; index++) {
        const runId = `${policyId}-m${Date.now() + index}`;
        const texts = rotationTexts(policyId, runId, randomUUID());
        const document = Secret.of(
          JSON.stringify({
            serviceTokenId: randomUUID(),
            clientId: `${randomBytes(16).toString('hex')}.access`,
            clientSecret: randomBytes(32).toString('hex'),
            expiresAt: new Date().toISOString(),
            rotor: { runId },
          }),
        );
        const started = performance.now();
        const scope = redactor.scope();
        const sink = credentialHoldingSink(memorySink(document), scope, providerOf);
        await sink.stage(target, randomUUID(), document, signal);
        await sink.read(target, 'current', signal);
        const held = performance.now();
        for (const line of texts.lines) redactor.redact(line);
        redactStrings(texts.event, redactor);
        redactor.redact(texts.body);
        const released = performance.now();
        scope.release();
        const ended = performance.now();
        totalMs += ended - started;
        holdMs += held - started + (ended - released);
      }
      total.push((totalMs * 1000) / perRun);
      holding.push((holdMs * 1000) / perRun);
      ctx.progress(`  run ${run + 1}: ${total.at(-1)?.toFixed(1)} µs per rotation`);
    }
    sets.push({
      registered,
      indexMs,
      indexMiB,
      usPerRotation: figure(total),
      holdUsPerRotation: figure(holding),
    });
  }
  return { rotationsPerRun: perRun, charsPerRotation, sets };
}
