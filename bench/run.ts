import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import type { BenchContext } from './bench-context.js';
import { type BenchReport, renderTable } from './render-table.js';

const SCENARIOS = [
  'overhead',
  'scale',
  'punctuality',
  'quotas',
  'rotate-now',
  'rebuild',
  'policy-status',
  'redaction',
] as const;
type Scenario = (typeof SCENARIOS)[number];

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string', multiple: true },
    runs: { type: 'string' },
    concurrency: { type: 'string', default: '16' },
    'cpu-prof': { type: 'string' },
    /** The overhead scenario's variants to run: `cloudflare`, `mix` (both when absent). */
    overhead: { type: 'string', multiple: true },
    out: { type: 'string', default: new URL('./results.json', import.meta.url).pathname },
  },
});
const only = (values.only ?? [...SCENARIOS]) as Scenario[];
for (const name of only) {
  if (!SCENARIOS.includes(name))
    throw new Error(`unknown scenario ${name}; expected ${SCENARIOS.join(', ')}`);
}
const ctx: BenchContext = {
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  quick: values.quick,
  runs: Number(values.runs ?? (values.quick ? 3 : 5)),
  concurrency: Number(values.concurrency),
  ...(values['cpu-prof'] === undefined ? {} : { cpuProfileDir: values['cpu-prof'] }),
  progress: (message) => process.stderr.write(`${message}\n`),
};

// Before any scenario's code loads: a profile then shows JSON.parse/stringify as frames of their own.
if (ctx.cpuProfileDir !== undefined) (await import('./json-frames.js')).exposeJsonFrames();

const startedAt = Date.now();
const results: {
  -readonly [K in keyof BenchReport['results']]: BenchReport['results'][K];
} = {};
// Each scenario is loaded only when it runs: one's imports cannot stop another from running.
if (only.includes('overhead')) {
  const { overhead } = await import('./scenarios/overhead.js');
  const variants = values.overhead ?? ['cloudflare', 'mix'];
  for (const variant of variants) {
    if (variant !== 'cloudflare' && variant !== 'mix')
      throw new Error(`unknown overhead variant ${variant}; expected cloudflare, mix`);
  }
  results.overhead = [];
  for (const variant of variants)
    results.overhead = [...results.overhead, await overhead(ctx, variant === 'mix')];
}
if (only.includes('scale')) results.scale = await (await import('./scenarios/scale.js')).scale(ctx);
if (only.includes('punctuality'))
  results.punctuality = await (await import('./scenarios/punctuality.js')).punctuality(ctx);
if (only.includes('quotas')) results.quotas = await (await import('./scenarios/quotas.js')).quotas(ctx);
if (only.includes('rotate-now'))
  results['rotate-now'] = await (await import('./scenarios/rotate-now.js')).rotateNow(ctx);
if (only.includes('rebuild')) results.rebuild = await (await import('./scenarios/rebuild.js')).rebuild(ctx);
if (only.includes('policy-status'))
  results['policy-status'] = await (await import('./scenarios/policy-status.js')).policyStatus(ctx);
if (only.includes('redaction'))
  results.redaction = await (await import('./scenarios/redaction.js')).redaction(ctx);

const report: BenchReport = {
  ranAt: new Date(startedAt).toISOString(),
  durationS: Math.round((Date.now() - startedAt) / 1000),
  quick: ctx.quick,
  runsPerFigure: ctx.runs,
  machine: {
    cpus: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  },
  results,
};
// A run of some scenarios keeps the last figures of the others in the file, each with the date of its run.
const carriedFrom = (): Pick<BenchReport, 'results' | 'carried'> | undefined => {
  if (values.only === undefined || !existsSync(values.out)) return undefined;
  const last = JSON.parse(readFileSync(values.out, 'utf8')) as BenchReport;
  const names = (Object.keys(last.results) as Scenario[]).filter((name) => !only.includes(name));
  return {
    results: Object.fromEntries(names.map((name) => [name, last.results[name]])),
    carried: Object.fromEntries(names.map((name) => [name, last.carried?.[name] ?? last.ranAt])),
  };
};
const carried = carriedFrom();
const written: BenchReport = carried
  ? { ...report, results: { ...carried.results, ...results }, carried: carried.carried ?? {} }
  : report;
writeFileSync(values.out, `${JSON.stringify(written, null, 2)}\n`);
process.stdout.write(`${renderTable(report)}\n`);
process.exit(0);
