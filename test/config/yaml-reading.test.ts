import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseYaml } from '../../src/config/yaml-source.js';

const SCALARS = [
  ...['~', 'null', 'Null', 'NULL', '', 'true', 'True', 'FALSE', 'yes', 'on', 'y'],
  ...['0', '017', '+12', '-7', '0o17', '0x1F', '0b101', '-0x1F', '+0o7', '1_000', '00'],
  ...['0.1', '.5', '+.5', '1.', '1e3', '1E+3', '-2.5e-2', '.inf', '-.Inf', '+.INF', '.NaN'],
  ...['2024-01-01', '2024-01-01T00:00:00Z', '12:30', '1:20:30', '30s', '1h30m', '"5"', "'true'"],
  ...['!!str 12', '!!int "5"', '!!float 1.5', '!!bool "true"', '!!null ""'],
];

describe('reading YAML', () => {
  it.each(SCALARS)('reads %j as the YAML 1.2 core schema says', (scalar) => {
    const { source, problems } = parseYaml('f.yaml', `key: ${scalar}\n`);
    expect(problems).toEqual([]);
    expect(source.value).toEqual(parse(`key: ${scalar}\n`));
  });

  it.each(['config/rotor.example.yaml', 'config/demo.yaml'])(
    'reads %s to the same value as the yaml parser',
    async (file) => {
      const text = await readFile(file, 'utf8');
      expect(parseYaml(file, text).source.value).toEqual(parse(text, { uniqueKeys: true }));
    },
  );

  it('keeps long strings and a `__proto__` key as written when copying strings out of the text', () => {
    const text = [
      'a: "a string well over thirteen characters"',
      "__proto__: 'polluted? no, just a key of its own'",
      'list: [short, another string over thirteen characters, 12345678901234]',
    ].join('\n');
    const value = parseYaml('f.yaml', text).source.value as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(value, '__proto__')?.value).toBe(
      'polluted? no, just a key of its own',
    );
    expect(value).toEqual(parse(text));
  });

  it('shares an aliased block between the places that use it', () => {
    const text = 'defaults: &retry { attempts: 5 }\npolicies:\n  - retry: *retry\n  - retry: *retry\n';
    const value = parseYaml('f.yaml', text).source.value as { policies: { retry: unknown }[] };
    expect(value.policies.map((policy) => policy.retry)).toEqual([{ attempts: 5 }, { attempts: 5 }]);
  });

  it('refuses aliases that expand without bound, naming the counts', () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let level = 1; level < 9; level++) {
      const previous = String.fromCharCode(96 + level);
      const name = String.fromCharCode(97 + level);
      levels.push(`${name}: &${name} [${Array.from({ length: 10 }, () => `*${previous}`).join(',')}]`);
    }
    const { source, problems } = parseYaml('bomb.yaml', `${levels.join('\n')}\n`);
    expect(source.value).toBeUndefined();
    expect(problems).toEqual([
      {
        file: 'bomb.yaml',
        path: '',
        message: expect.stringMatching(
          /^YAML aliases expand \d+ written nodes to \d+: refused as a resource-exhaustion risk$/,
        ),
      },
    ]);
  });

  it('locates a problem at the line and column of its path', () => {
    const { source } = parseYaml(
      'f.yaml',
      'redis:\n  url: redis://x\npolicies:\n  - id: a\n    schedule: { cron: x }\n',
    );
    expect(source.problem(['policies', 0, 'schedule', 'cron'], 'expected a cron expression')).toEqual({
      file: 'f.yaml',
      path: 'policies[0].schedule.cron',
      line: 5,
      column: 23,
      message: 'expected a cron expression',
    });
    expect(source.problem(['policies', 0, 'verify'], 'missing')).toMatchObject({ line: 4, column: 5 });
  });

  it('reports every syntax error with its position', () => {
    const { problems } = parseYaml('f.yaml', 'a: 1\na: 2\nb: [1, 2\n');
    expect(problems.length).toBeGreaterThan(1);
    expect(problems[0]).toMatchObject({ file: 'f.yaml', path: '', line: 2, column: 1 });
    expect(problems.every((problem) => problem.message.startsWith('YAML syntax: '))).toBe(true);
  });

  it('refuses a tag outside the core schema, with its position', () => {
    const { problems } = parseYaml('f.yaml', 'a: 1\nb: !!binary aGk=\n');
    expect(problems).toEqual([
      {
        file: 'f.yaml',
        path: '',
        line: 2,
        column: expect.any(Number),
        message: expect.stringContaining('YAML syntax: unknown tag'),
      },
    ]);
  });
});
