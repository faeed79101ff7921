import { describeCalls, describeGroup } from './call-count.js';
import type { OverheadResult, SideResult } from './scenarios/overhead.js';
import type { PolicyStatusResult } from './scenarios/policy-status.js';
import type { PunctualityResult, PunctualityRun } from './scenarios/punctuality.js';
import type { QuotaResult } from './scenarios/quotas.js';
import type { PromoteLatency, RebuildResult } from './scenarios/rebuild.js';
import type { RedactionResult } from './scenarios/redaction.js';
import type { RotateNowResult } from './scenarios/rotate-now.js';
import type { ScaleResult } from './scenarios/scale.js';
import type { Figure } from './stats.js';

export interface BenchReport {
  readonly ranAt: string;
  readonly durationS: number;
  readonly quick: boolean;
  readonly runsPerFigure: number;
  readonly machine: { cpus: number; cpu: string; memoryGiB: number; node: string; platform: string };
  /**
   * Scenarios this run did not measure (`--only`), kept from the file's last figures: when each was measured.
   * Their results are those of that run, not of this one.
   */
  readonly carried?: Readonly<Record<string, string>>;
  readonly results: {
    overhead?: readonly OverheadResult[];
    scale?: ScaleResult;
    punctuality?: PunctualityResult;
    quotas?: readonly QuotaResult[];
    'rotate-now'?: RotateNowResult;
    rebuild?: RebuildResult;
    'policy-status'?: PolicyStatusResult;
    redaction?: RedactionResult;
  };
}

/** `median (min–max)` with the given decimals. */
function shown(value: Figure, decimals = 0, unit = ''): string {
  const f = (n: number) => n.toFixed(decimals);
  return value.min === value.max
    ? `${f(value.median)}${unit}`
    : `${f(value.median)}${unit} (${f(value.min)}–${f(value.max)})`;
}

const percent = (value: Figure): Figure => ({
  median: value.median * 100,
  min: value.min * 100,
  max: value.max * 100,
  runs: value.runs,
});

const byStart = (run: PunctualityRun) => {
  const split = run.lateness99ByStart;
  return split === undefined
    ? ''
    : `; p99 of those starting in the window's first ${split.firstSeconds} s ${shown(split.first, 0, ' ms')}, after ${shown(split.rest, 0, ' ms')}`;
};

/** The results as a Markdown table (what the README shows), one row per figure. */
export function renderTable(report: BenchReport): string {
  const rows: [string, string, string][] = [];
  const { results } = report;
  for (const run of results.overhead ?? []) {
    const sides = [
      ['rotor', run.rotor],
      ['minimal baseline', run.baseline],
      ['floor', run.floor],
    ] as const;
    const each = (of: (side: SideResult) => string) =>
      sides.map(([name, side]) => `${name} ${of(side)}`).join(', ');
    rows.push([
      `Overhead: ${run.rotations} on-demand rotations, ${run.providers}, concurrency ${run.concurrency}, emulators in their own process`,
      `${each((side) => `${shown(side.rate)}/s`)}; rotor ÷ baseline ${run.ratio.baseline.toFixed(2)}, ÷ floor ${run.ratio.floor.toFixed(2)}`,
      run.providers === 'cloudflare' ? '≥ 0.6 of the baseline (aim 0.75)' : '≥ 0.5 of the baseline',
    ]);
    for (const [name, side] of sides) {
      const calls = side.calls;
      const notOk = describeCalls(calls.notOk);
      rows.push([
        `Overhead (${run.providers}): HTTP calls per rotation, ${name}`,
        `${calls.total.toFixed(1)}: vendor ${describeGroup(calls.vendor)}; AWS reads ${describeGroup(calls.awsReads)}; AWS writes ${describeGroup(calls.awsWrites)}${notOk === '' ? '' : `; answers not 2xx: ${notOk}`}`,
        '—',
      ]);
    }
    rows.push([
      `Overhead (${run.providers}): per rotation, Redis round trips / commands, CPU of the worker / of the emulators`,
      each(
        (side) =>
          `${side.redisRequestsPerRotation.toFixed(1)} / ${side.redisCommandsPerRotation.toFixed(0)}, ${side.cpuMsPerRotation.toFixed(2)} / ${side.emulatorCpuMsPerRotation.toFixed(2)} ms`,
      ),
      '—',
    ]);
  }
  if (results.scale) {
    const s = results.scale;
    rows.push([`Scale: ${s.policies} policies, config load`, shown(s.configLoadS, 1, ' s'), '—']);
    rows.push([`Scale: cold reconcile`, shown(s.coldReconcileS, 1, ' s'), '≤ 30 s (100,000)']);
    rows.push([`Scale: reconcile, nothing changed`, shown(s.warmReconcileS, 2, ' s'), '≤ 3 s (100,000)']);
    rows.push([`Scale: Redis memory per policy`, shown(s.redisBytesPerPolicy, 0, ' B'), '—']);
    rows.push([
      `Scale: rotor start, first start, no memory limit (start-up ${s.daemonStartS.toFixed(1)} s)`,
      `RSS ${s.daemonSettledRssMiB} MiB once started and idle; peak ${s.daemonPeakRssMiB} MiB during start-up`,
      '—',
    ]);
    const limited = s.limited;
    const started = (seconds: number | undefined) =>
      seconds === undefined ? 'did not start' : `${seconds.toFixed(1)} s`;
    rows.push([
      limited
        ? `Scale: rotor start in a ${limited.limitMiB} MiB (300 MB) memory cgroup, cold then warm`
        : 'Scale: rotor start in a 300 MB memory cgroup',
      limited
        ? `peak ${limited.peakChargedMiB} MiB charged (RSS high-water ${limited.peakRssMiB} MiB), ${limited.oomKills} OOM kills; started in ${started(limited.coldStartS)} / ${started(limited.warmStartS)}`
        : 'not measured: no writable memory cgroup on this machine',
      '≤ 300 MB',
    ]);
  }
  for (const run of results.punctuality?.runs ?? []) {
    rows.push([
      `Punctuality: ${results.punctuality?.policies} policies due at once, jitter ${run.jitter}`,
      `start lateness p50 ${shown(run.lateness.p50, 0, ' ms')}, p99 ${shown(run.lateness.p99, 0, ' ms')}, max ${shown(run.lateness.max, 0, ' ms')}${byStart(run)}`,
      'p99 ≤ 1 s within capacity',
    ]);
  }
  for (const run of results.quotas ?? []) {
    rows.push([
      `Quotas: ${run.rotations} rotations against ${run.quota} (${run.limit})`,
      `${shown(percent(run.shareUsed), 1, ' %')} of the quota used, ${shown(run.throttled)} throttled answers, ${run.failedRotations} rotations failed`,
      '≥ 95 %, 0 failed',
    ]);
  }
  const now = results['rotate-now'];
  if (now) {
    rows.push([
      `Rotate-now: enqueue → promote (${now.rotationsPerRun} per run)`,
      `p50 ${shown(now.enqueueToPromote.p50, 0, ' ms')}, p99 ${shown(now.enqueueToPromote.p99, 0, ' ms')}`,
      'p50 ≤ 30 ms',
    ]);
    rows.push([
      'Rotate-now: enqueue → job completed',
      `p50 ${shown(now.enqueueToComplete.p50, 0, ' ms')}, p99 ${shown(now.enqueueToComplete.p99, 0, ' ms')}`,
      '—',
    ]);
  }
  const rebuilt = results.rebuild;
  if (rebuilt) {
    const latency = (value: PromoteLatency) =>
      `p50 ${shown(value.p50, 0, ' ms')}, p99 ${shown(value.p99, 0, ' ms')}, max ${shown(value.max, 0, ' ms')} (process meanwhile: event-loop delay p99 ${shown(value.loopDelayP99Ms, 0, ' ms')}, CPU ${shown(value.cpuShare, 2)} of a core)`;
    rows.push([
      `Rebuild: rotor start on ${rebuilt.policies} policies whose records Redis lost while AWS holds their secrets`,
      `last record rebuilt after ${shown(rebuilt.rebuildS, 1, ' s')} (first after ${shown(rebuilt.firstRecordS, 1, ' s')}; start-up returned after ${shown(rebuilt.startedS, 1, ' s')}), ${shown(rebuilt.recordsPerS)} records/s`,
      '—',
    ]);
    rows.push([
      `Rebuild: enqueue → promote of ${rebuilt.others} other policies during the rebuild, one at a time (${shown(rebuilt.duringRebuild.rotations)} per run)`,
      latency(rebuilt.duringRebuild),
      'not blocked',
    ]);
    rows.push([
      `Rebuild: the same once the rebuild has finished (${shown(rebuilt.afterRebuild.rotations)} per run)`,
      latency(rebuilt.afterRebuild),
      '—',
    ]);
  }
  const status = results['policy-status'];
  if (status) {
    rows.push([
      `Policy status: GET /v1/policies/:id among ${status.policies} policies (${status.queuedJobs} jobs queued), one at a time (${status.requestsPerRun} per run)`,
      `p50 ${shown(status.latencyMs.p50, 1, ' ms')}, p99 ${shown(status.latencyMs.p99, 1, ' ms')}, max ${shown(status.latencyMs.max, 1, ' ms')}`,
      '—',
    ]);
  }
  const redacted = results.redaction;
  for (const set of redacted?.sets ?? []) {
    rows.push([
      `Redaction by value: per rotation (its credential held and released, ${redacted?.charsPerRotation} characters of log lines, alert and webhook body redacted), ${set.registered} values registered`,
      `${shown(set.usPerRotation, 1, ' µs')} (holding and releasing the credential ${shown(set.holdUsPerRotation, 1, ' µs')}); index built in ${set.indexMs.toFixed(0)} ms, ${set.indexMiB.toFixed(1)} MiB of heap`,
      '—',
    ]);
  }
  const m = report.machine;
  return [
    `rotor bench${report.quick ? ' --quick' : ''}, ${report.ranAt}, ${report.durationS} s; median of ${report.runsPerFigure} runs (min–max)`,
    `machine: ${m.cpus} × ${m.cpu}, ${m.memoryGiB} GiB, ${m.platform}, Node ${m.node}`,
    '',
    '| scenario | result | target |',
    '|---|---|---|',
    ...rows.map((cells) => `| ${cells.join(' | ')} |`),
  ].join('\n');
}
