import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { reportValidation } from '../../src/commands/validate.js';
import { env, load, validYaml } from './config-fixtures.js';

type Node = unknown;

/** Keys that have defaults: removing them is not a mistake. */
const OPTIONAL_KEYS = new Set(['redis', 'url', 'prefix', 'tz', 'jitter', 'gracePeriod']);
type Path = readonly (string | number)[];

/** Every path in a document, containers included. */
function paths(node: Node, at: Path = []): Path[] {
  if (Array.isArray(node)) return [at, ...node.flatMap((child, index) => paths(child, [...at, index]))];
  if (typeof node === 'object' && node !== null) {
    return [at, ...Object.entries(node).flatMap(([key, child]) => paths(child, [...at, key]))];
  }
  return [at];
}

function edited(
  document: Node,
  path: Path,
  change: (parent: Record<string | number, Node>, key: string | number) => void,
): string {
  const copy = structuredClone(document) as Record<string | number, Node>;
  let parent = copy;
  for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, Node>;
  change(parent, path[path.length - 1] as string | number);
  return stringify(copy);
}

/** Wrong types, unknown keys and missing keys at every path, plus the semantic mistakes users make. */
function brokenConfigs(): { name: string; yaml: string }[] {
  const document = parse(validYaml) as Node;
  const cases: { name: string; yaml: string }[] = [];
  for (const path of paths(document).filter((p) => p.length > 0)) {
    const where = path.join('.');
    cases.push({
      name: `${where}: a number where text or a mapping belongs`,
      yaml: edited(document, path, (parent, key) => {
        parent[key] = typeof parent[key] === 'number' ? 'forty-two' : 42;
      }),
    });
    cases.push({
      name: `${where}: a list instead`,
      yaml: edited(document, path, (parent, key) => {
        parent[key] = ['unexpected'];
      }),
    });
    cases.push({
      name: `${where}: null`,
      yaml: edited(document, path, (parent, key) => {
        parent[key] = null;
      }),
    });
    const last = path[path.length - 1];
    if (typeof last === 'string' && !OPTIONAL_KEYS.has(last)) {
      cases.push({
        name: `${where}: removed`,
        yaml: edited(document, path, (parent, key) => {
          delete parent[key];
        }),
      });
    }
    const value = path.reduce<Node>((node, step) => (node as Record<string | number, Node>)[step], document);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      cases.push({
        name: `${where}: an unknown key`,
        yaml: edited(document, path, (parent, key) => {
          (parent[key] as Record<string, Node>).surprise = true;
        }),
      });
    }
  }
  const semantic: [string, string, string][] = [
    ['bad cron', '"0 3 * * 1"', '"61 3 * * 1"'],
    ['cron with letters', '"0 3 * * 1"', '"at three"'],
    ['bad time zone', 'Europe/Oslo', 'Mars/Olympus'],
    ['dangling connection', 'connection: cf-zone', 'connection: cf-nowhere'],
    ['duplicate policy id', 'id: deploy', 'id: ci-runner'],
    ['grace longer than the interval', 'gracePeriod: 24h', 'gracePeriod: 30d'],
    ['bad duration unit', 'jitter: 10m', 'jitter: 10 minutes'],
    ['negative duration', 'every: 1d', 'every: -1d'],
    ['dangling env reference', 'CLOUDFLARE_API_TOKEN', 'NO_SUCH_VARIABLE'],
    ['dangling file reference', '/secrets/zone-token', '/secrets/none'],
    ['uppercase policy id', 'id: deploy', 'id: Deploy'],
    ['unknown provider', 'provider: cloudflare, accountId', 'provider: cloudfare, accountId'],
    [
      'unknown action',
      'action: rotate\n    target: { serviceTokenId: f174',
      'action: spin\n    target: { serviceTokenId: f174',
    ],
    ['redis password in the URL', 'redis://127.0.0.1:6379', 'redis://:hunter2@127.0.0.1:6379'],
    ['unknown sink type', 'type: aws-secrets-manager', 'type: vault'],
    ['bad region', 'region: eu-north-1', 'region: Europe'],
    [
      'inline secret instead of a reference',
      'apiToken: { env: CLOUDFLARE_API_TOKEN }',
      'apiToken: plain-text-token',
    ],
  ];
  for (const [name, from, to] of semantic) {
    if (!validYaml.includes(from)) throw new Error(`fixture has no "${from}"`);
    cases.push({ name, yaml: validYaml.replace(from, to) });
  }
  return cases;
}

const cases = brokenConfigs();

describe('generated broken configs', () => {
  it('are at least 200', () => {
    expect(cases.length).toBeGreaterThanOrEqual(200);
  });

  it.each(cases)(
    '$name: exit 2, every problem with a path and a message, no stack trace',
    async ({ yaml }) => {
      const result = await load(yaml, { env });
      const stdout: string[] = [];
      const stderr: string[] = [];
      const code = reportValidation('rotor.yaml', result, {
        stdout: (text) => stdout.push(text),
        stderr: (text) => stderr.push(text),
      });

      expect(code).toBe(2);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.problems.length).toBeGreaterThan(0);
      for (const problem of result.problems) {
        expect(problem.message.length).toBeGreaterThan(5);
        expect(problem.file).toBe('rotor.yaml');
      }
      expect(result.problems.filter((problem) => problem.path === '')).toEqual([]);
      const output = stderr.join('');
      for (const problem of result.problems) expect(output).toContain(`${problem.path}: ${problem.message}`);
      expect(output).not.toMatch(/\n\s+at .+:\d+:\d+/);
      expect(output).not.toMatch(/TypeError|ReferenceError|undefined is not/);
    },
  );
});
