import { loadConfig } from '../../src/config/load-config.js';
import type { RotorConfig } from '../../src/config/rotor-config.js';

/** Optional sections' bodies (YAML at any indentation). */
export interface WorldSections {
  /** Where Redis is, as `redis:` lines replacing the world's `url:` (e.g. a Sentinel group). */
  readonly redisLocation?: string;
  /** Each vendor connection's call timeout (a duration; rotor's default when absent). */
  readonly connectionTimeout?: string;
  /** Each vendor connection's `rateLimit` value as YAML (the provider's default when absent). */
  readonly connectionRateLimit?: string;
  /** The sink's `rateLimit` value as YAML (50 writes per second when absent). */
  readonly sinkRateLimit?: string;
  /** The sink's call timeout (a duration; 2s when absent). */
  readonly sinkTimeout?: string;
  readonly worker?: string;
  readonly api?: string;
  readonly alerts?: string;
}

/** Re-indents a YAML block: its common margin removed, `by` put in front of every line. */
export function indentBlock(block: string, by: string): string[] {
  const lines = block.replace(/^\n+|\s+$/g, '').split('\n');
  const margin = Math.min(
    ...lines.filter((line) => line.trim()).map((line) => line.length - line.trimStart().length),
  );
  return lines.map((line) => (line.trim() === '' ? '' : `${by}${line.slice(margin)}`));
}

/**
 * A rotor config for a test world: its Redis prefix, the AWS emulator as the sink (credentials and journal key
 * by the env names given), its connections and policies, and any optional sections.
 */
export function worldConfigYaml(world: {
  readonly redisUrl: string;
  readonly prefix: string;
  readonly aws: { readonly region: string; readonly endpoint: string };
  readonly envNames: {
    readonly journalKey: string;
    readonly awsKeyId: string;
    readonly awsSecretKey: string;
  };
  readonly connections: string;
  readonly policies: readonly string[];
  readonly sections?: WorldSections;
}): string {
  const { sections = {} } = world;
  const section = (name: string, body: string | undefined) =>
    body ? [`${name}:`, ...indentBlock(body, '  ')] : [];
  return [
    'redis:',
    ...(sections.redisLocation ? indentBlock(sections.redisLocation, '  ') : [`  url: ${world.redisUrl}`]),
    `  prefix: ${world.prefix}`,
    'journal:',
    '  keys:',
    `    k1: { env: ${world.envNames.journalKey} }`,
    '  active: k1',
    ...section('worker', sections.worker),
    ...section('api', sections.api),
    ...section('alerts', sections.alerts),
    'sink:',
    '  type: aws-secrets-manager',
    `  region: ${world.aws.region}`,
    `  endpoint: ${world.aws.endpoint}`,
    `  timeout: ${sections.sinkTimeout ?? '2s'}`,
    ...(sections.sinkRateLimit ? [`  rateLimit: ${sections.sinkRateLimit}`] : []),
    '  credentials:',
    `    accessKeyId: { env: ${world.envNames.awsKeyId} }`,
    `    secretAccessKey: { env: ${world.envNames.awsSecretKey} }`,
    ...section('connections', world.connections),
    'policies:',
    ...world.policies.flatMap((policy) => indentBlock(policy, '  ')),
    '',
  ].join('\n');
}

/** Loads a test world's config as `rotor start` would; a config the world got wrong fails the test. */
export async function loadWorldConfig(
  text: string,
  env: Readonly<Record<string, string>>,
): Promise<RotorConfig> {
  const loaded = await loadConfig('test-world.yaml', {
    env,
    readFile: async () => text,
    awsSecretReader: () => {
      throw new Error('test worlds use no awsSecret references');
    },
  });
  if (!loaded.ok) {
    const problems = loaded.problems.map((p) => `${p.path}: ${p.message}`).join('\n');
    throw new Error(`test config is invalid:\n${problems}\n---\n${text}`);
  }
  return loaded.config;
}
