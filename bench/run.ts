import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import type { BenchContext } from './bench-context.js';
import { type BenchReport, renderTable } from './render-table.js';
import { overhead } from './scenarios/overhead.js';
import { policyStatus } from './scenarios/policy-status.js';
import { punctuality } from './scenarios/punctuality.js';
import { quotas } from './scenarios/quotas.js';
import { rebuild } from './scenarios/rebuild.js';
import { redaction } from './scenarios/redaction.js';
import { rotateNow } from './scenarios/rotate-now.js';
import { scale } from './scenarios/scale.js';

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
  progress: (message) => process.stderr.write(`${message}\n`),
};

const startedAt = Date.now();
const results: {
  -readonly [K in keyof BenchReport['results']]: BenchReport['results'][K];
} = {};
if (only.includes('overhead')) {
  results.overhead = [await overhead(ctx, false), await overhead(ctx, true)];
}
if (only.includes('scale')) results.scale = await scale(ctx);
if (only.includes('punctuality')) results.punctuality = await punctuality(ctx);
if (only.includes('quotas')) results.quotas = await quotas(ctx);
if (only.includes('rotate-now')) results['rotate-now'] = await rotateNow(ctx);
if (only.includes('rebuild')) results.rebuild = await rebuild(ctx);
if (only.includes('policy-status')) results['policy-status'] = await policyStatus(ctx);
if (only.includes('redaction')) results.redaction = await redaction(ctx);

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
writeFileSync(values.out, `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(`${renderTable(report)}\n`);
process.exit(0);
