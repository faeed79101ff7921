import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const src = join(root, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Every relative import of a file, as a path relative to src/. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/from '(\.[^']+)'/g)].map((match) => match[1] ?? '');
  return specifiers.map((specifier) => relative(src, resolve(dirname(file), specifier)));
}

const files = sourceFiles(src).map((file) => ({ path: relative(src, file), imports: importsOf(file) }));
const vendorOf = (path: string) => /^providers\/([^/]+)\//.exec(path)?.[1];

describe('module boundaries', () => {
  it('keeps vendor code inside its provider folder: only the registry imports a provider folder', () => {
    const offenders = files.flatMap(({ path, imports }) =>
      imports
        .filter((target) => vendorOf(target) !== undefined && vendorOf(target) !== vendorOf(path))
        .filter(() => path !== 'providers/registry.ts')
        .map((target) => `${path} -> ${target}`),
    );
    expect(offenders).toEqual([]);
  });

  it('keeps providers away from the sink, config and each other', () => {
    const offenders = files
      .filter(({ path }) => vendorOf(path) !== undefined)
      .flatMap(({ path, imports }) =>
        imports
          .filter((target) => /^(sinks|config|commands)\//.test(target))
          .map((target) => `${path} -> ${target}`),
      );
    expect(offenders).toEqual([]);
  });

  it('keeps domain/ free of I/O and of every other layer', () => {
    const offenders = files
      .filter(({ path }) => path.startsWith('domain/'))
      .flatMap(({ path, imports }) =>
        imports.filter((target) => !target.startsWith('domain/')).map((target) => `${path} -> ${target}`),
      );
    expect(offenders).toEqual([]);
    for (const { path } of files.filter((file) => file.path.startsWith('domain/'))) {
      const text = readFileSync(join(src, path), 'utf8');
      expect(text, path).not.toMatch(/process\.env|node:fs|node:http|Date\.now\(\)/);
    }
  });

  it('reads process.env only at the edge (the CLI and its commands)', () => {
    const readers = files
      .filter(({ path }) => readFileSync(join(src, path), 'utf8').includes('process.env'))
      .map(({ path }) => path)
      .filter((path) => path !== 'cli.ts' && !path.startsWith('commands/'));
    expect(readers).toEqual([]);
  });

  it('has no grab-bag modules', () => {
    expect(
      files
        .map(({ path }) => path)
        .filter((path) => /(^|\/)(utils?|helpers?|common|misc)(\.ts|\/)/.test(path)),
    ).toEqual([]);
  });
});
