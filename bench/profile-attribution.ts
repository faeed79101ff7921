/**
 * Where a profiled side's CPU went, per rotation: `tsx bench/profile-attribution.ts [--top N] FILE.cpuprofile…`
 * (profiles written by `npm run bench -- --only overhead --cpu-prof DIR`, each with its `.meta.json`). The
 * figures are summed over the files given, so pass the rounds of one side (e.g. `DIR/overhead-cloudflare-rotor-*`).
 *
 * Each sample is charged to one bucket: its stack is walked from the sampled frame towards the root, and the
 * first frame that a rule below names decides. Node's own modules (`node:…`) and native frames name nothing,
 * so a socket write is charged to whoever called it (ioredis: Redis; undici: HTTP), a hash to the SigV4 signer
 * that asked for it. A stack that nothing names is Node's runtime (the event loop, streams, timers, promise
 * jobs). V8's own entries are apart: garbage collection, `(program)` (V8 and native code outside any
 * JavaScript frame); `(idle)` is left out. `--cpu-prof` runs replace JSON.parse/stringify with wrappers of
 * their own (`bench/json-frames.ts`), which is how JSON shows: V8 gives builtins no frame.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { ProfileMeta } from './cpu-profile.js';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}
interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** The buckets, in the order of the rules: the first rule a frame matches names its bucket. */
const RULES: readonly (readonly [bucket: string, matches: (frame: CallFrame) => boolean])[] = [
  ['redaction', (f) => /\/src\/(domain\/secret-redactor|queue\/job-secrets)\.ts$/.test(f.url)],
  ['JSON parse/stringify', (f) => f.url.endsWith('/bench/json-frames.ts')],
  [
    'logging (pino)',
    (f) =>
      f.url.endsWith('/src/lib/logger.ts') ||
      /\/node_modules\/(pino[^/]*|@pinojs\/[^/]+|sonic-boom|thread-stream|fast-redact|safe-stable-stringify|quick-format-unescaped|atomic-sleep|on-exit-leak-free)\//.test(
        f.url,
      ),
  ],
  [
    'HTTP client (undici)',
    (f) =>
      f.url.endsWith('/src/lib/http-client.ts') ||
      f.url.includes('/node_modules/undici/') ||
      f.url.startsWith('wasm://'),
  ],
  [
    'AWS SDK (middleware, signing, serialisation, node:http)',
    (f) =>
      /\/node_modules\/(@aws-sdk|@smithy|@aws-crypto|@aws|tslib|bowser|fast-xml-parser|strnum)\//.test(
        f.url,
      ) ||
      // In the benchmark's process only the SDK's request handler speaks through node:http (undici has HTTP/1
      // code of its own): node:http's writes, made on a later tick with no SDK frame on the stack, are the SDK's.
      /^node:_http_(client|outgoing|incoming|agent|common)$/.test(f.url),
  ],
  [
    'Redis client (ioredis, BullMQ)',
    (f) =>
      /\/node_modules\/(ioredis|@ioredis\/[^/]+|bullmq|redis-parser|redis-errors|msgpackr|standard-as-callback|denque|cluster-key-slot|lodash\.[^/]+|cron-parser|luxon)\//.test(
        f.url,
      ),
  ],
  ['zod parsing', (f) => f.url.includes('/node_modules/zod/')],
  [
    'metrics (prom-client)',
    (f) => /\/node_modules\/(prom-client|bintrees)\//.test(f.url) || f.url.includes('/src/metrics/'),
  ],
  ['rotor: engine', (f) => f.url.includes('/src/engine/')],
  ['rotor: state', (f) => f.url.includes('/src/state/')],
  ['rotor: queue', (f) => f.url.includes('/src/queue/')],
  ['rotor: providers', (f) => f.url.includes('/src/providers/')],
  ['rotor: sinks', (f) => f.url.includes('/src/sinks/')],
  ['rotor: other (lib, domain, rate-limit, daemon)', (f) => f.url.includes('/src/')],
  ['benchmark harness (requests, completion watch)', (f) => /\/(bench|test)\//.test(f.url)],
  ['other libraries', (f) => f.url.includes('/node_modules/')],
];
const V8_ENTRIES: Readonly<Record<string, string>> = {
  '(garbage collector)': 'garbage collection',
  '(program)': 'V8 and native code (program)',
  '(root)': 'V8 and native code (program)',
};
const IDLE = '(idle)';
const RUNTIME = 'Node runtime (event loop, streams, timers)';

function bucketOfFrame(frame: CallFrame): string | undefined {
  return RULES.find(([, matches]) => matches(frame))?.[0];
}

interface Charge {
  /** The bucket, and the bucket of the nearest frame above that names another one (who asked for it). */
  readonly bucket: string;
  readonly caller: string | undefined;
  /** The sampled frame itself. */
  readonly leaf: string;
  /** Every rotor function on the stack (its total time, not only its own). */
  readonly rotorFrames: readonly string[];
}

function frameName(frame: CallFrame): string {
  const file = frame.url.replace(/^.*\/(node_modules|src|bench|test)\//, '$1/');
  return `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`;
}

/** What each node of a profile is charged to. */
function charges(profile: CpuProfile): Map<number, Charge> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const result = new Map<number, Charge>();
  for (const node of profile.nodes) {
    const special = V8_ENTRIES[node.callFrame.functionName];
    if (node.callFrame.url === '' && (special !== undefined || node.callFrame.functionName === IDLE)) {
      const bucket = special ?? IDLE;
      result.set(node.id, { bucket, caller: undefined, leaf: bucket, rotorFrames: [] });
      continue;
    }
    let bucket: string | undefined;
    let caller: string | undefined;
    const rotorFrames = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const frame = (byId.get(id) as ProfileNode).callFrame;
      if (frame.url.includes('/src/')) rotorFrames.add(frameName(frame));
      const named = bucketOfFrame(frame);
      if (named === undefined) continue;
      if (bucket === undefined) bucket = named;
      else if (caller === undefined && named !== bucket) caller = named;
    }
    result.set(node.id, {
      bucket: bucket ?? RUNTIME,
      caller,
      leaf: frameName(node.callFrame),
      rotorFrames: [...rotorFrames],
    });
  }
  return result;
}

const add = (map: Map<string, number>, key: string, value: number) =>
  map.set(key, (map.get(key) ?? 0) + value);

const { values, positionals } = parseArgs({
  options: { top: { type: 'string', default: '0' } },
  allowPositionals: true,
});
if (positionals.length === 0) throw new Error('usage: profile-attribution.ts [--top N] FILE.cpuprofile…');

let rotations = 0;
const byBucket = new Map<string, number>();
const byCaller = new Map<string, Map<string, number>>();
const bySelf = new Map<string, number>();
const byRotorFrame = new Map<string, number>();
for (const file of positionals) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const meta = JSON.parse(readFileSync(file.replace(/\.cpuprofile$/, '.meta.json'), 'utf8')) as ProfileMeta;
  rotations += meta.rotations;
  const chargeOf = charges(profile);
  // A sample lasts until the next one: sample i's time is the (i+1)-th delta.
  for (let i = 0; i < profile.samples.length; i++) {
    const charge = chargeOf.get(profile.samples[i] as number) as Charge;
    const us = profile.timeDeltas[i + 1] ?? 0;
    if (charge.bucket === IDLE) continue;
    add(byBucket, charge.bucket, us);
    const callers = byCaller.get(charge.bucket) ?? new Map<string, number>();
    byCaller.set(charge.bucket, callers);
    add(callers, charge.caller ?? '—', us);
    add(bySelf, charge.leaf, us);
    for (const frame of charge.rotorFrames) add(byRotorFrame, frame, us);
  }
}

const total = [...byBucket.values()].reduce((sum, us) => sum + us, 0);
const ms = (us: number) => (us / 1000 / rotations).toFixed(3);
const share = (us: number) => `${((us / total) * 100).toFixed(1)} %`;
const sorted = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]);
const lines = [
  `${positionals.length} profile(s), ${rotations} rotations, ${(total / 1000).toFixed(0)} ms of CPU sampled (idle left out)`,
  '',
  '| bucket | ms per rotation | share | asked for by |',
  '|---|---|---|---|',
  ...sorted(byBucket).map(([bucket, us]) => {
    const callers = sorted(byCaller.get(bucket) ?? new Map())
      .filter(([, callerUs]) => callerUs / us >= 0.1)
      .map(([caller, callerUs]) => `${caller} ${((callerUs / us) * 100).toFixed(0)} %`)
      .join(', ');
    return `| ${bucket} | ${ms(us)} | ${share(us)} | ${callers} |`;
  }),
  `| **total** | **${ms(total)}** | 100 % | |`,
];
const top = Number(values.top);
if (top > 0) {
  lines.push('', `Top ${top} functions by own time (ms per rotation):`);
  for (const [name, us] of sorted(bySelf).slice(0, top)) lines.push(`  ${ms(us).padStart(7)}  ${name}`);
  lines.push('', `Top ${top} rotor functions by total time, callees included (ms per rotation):`);
  for (const [name, us] of sorted(byRotorFrame).slice(0, top)) lines.push(`  ${ms(us).padStart(7)}  ${name}`);
}
process.stdout.write(`${lines.join('\n')}\n`);
