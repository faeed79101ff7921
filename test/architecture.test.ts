import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
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

/**
 * Every relative import of a file, as a path relative to src/: `import` and `import type`, `export … from`,
 * side-effect imports and dynamic `import()`, as TypeScript's own pre-processor finds them (not in comments).
 */
function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return importedFiles
    .map(({ fileName }) => fileName)
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => relative(src, resolve(dirname(file), specifier)));
}

/**
 * The relative imports a module loads as it is evaluated: not `import type` (nor one whose every name is a
 * type), and not `import()`, which loads only when it runs.
 */
function runtimeImportsOf(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
  const loads: string[] = [];
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      const named = clause?.namedBindings;
      const onlyTypes =
        clause?.isTypeOnly === true ||
        (clause !== undefined &&
          clause.name === undefined &&
          named !== undefined &&
          ts.isNamedImports(named) &&
          named.elements.length > 0 &&
          named.elements.every((element) => element.isTypeOnly));
      if (!onlyTypes && ts.isStringLiteral(statement.moduleSpecifier))
        loads.push(statement.moduleSpecifier.text);
    } else if (
      ts.isExportDeclaration(statement) &&
      !statement.isTypeOnly &&
      statement.moduleSpecifier !== undefined &&
      ts.isStringLiteral(statement.moduleSpecifier)
    ) {
      loads.push(statement.moduleSpecifier.text);
    }
  }
  return loads
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => relative(src, resolve(dirname(file), specifier)).replace(/\.js$/, '.ts'));
}

const files = sourceFiles(src).map((file) => ({ path: relative(src, file), imports: importsOf(file) }));
const vendorOf = (path: string) => /^providers\/([^/]+)\//.exec(path)?.[1];
/** The directory directly under src/ a path is in (a file directly in src/ is its own). */
const folderOf = (path: string) => path.split('/')[0] ?? path;

/** Folder → folder it imports → one file-level import that makes the edge, as an example for the message. */
function folderGraph(): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  for (const { path, imports } of files) {
    for (const target of imports) {
      const [from, to] = [folderOf(path), folderOf(target)];
      if (from === to) continue;
      const edges = graph.get(from) ?? new Map<string, string>();
      if (!edges.has(to)) edges.set(to, `${path} -> ${target}`);
      graph.set(from, edges);
    }
  }
  return graph;
}

/** The shortest chain of folders from `start` to `goal` along imports, or undefined when there is none. */
function pathBetween(
  graph: Map<string, Map<string, string>>,
  start: string,
  goal: string,
): string[] | undefined {
  const cameFrom = new Map<string, string | undefined>([[start, undefined]]);
  const queue = [start];
  for (let folder = queue.shift(); folder !== undefined; folder = queue.shift()) {
    if (folder === goal) {
      const path: string[] = [];
      for (let at: string | undefined = goal; at !== undefined; at = cameFrom.get(at)) path.unshift(at);
      return path;
    }
    for (const next of graph.get(folder)?.keys() ?? []) {
      if (!cameFrom.has(next)) {
        cameFrom.set(next, folder);
        queue.push(next);
      }
    }
  }
  return undefined;
}

/**
 * The folder cycles, each as `a -> b -> a` with the file imports that make its edges: for every import edge
 * that lies on a cycle, the shortest cycle through it, listed once whichever folder it is read from.
 */
function folderCycles(): string[] {
  const graph = folderGraph();
  const cycles = new Map<string, string>();
  for (const [from, edges] of graph) {
    for (const to of edges.keys()) {
      const back = pathBetween(graph, to, from);
      if (back === undefined) continue;
      const ring = [from, ...back.slice(0, -1)];
      const first = ring.indexOf([...ring].sort()[0] ?? from);
      const rotated = [...ring.slice(first), ...ring.slice(0, first)];
      const closed = [...rotated, rotated[0] ?? from];
      const witnesses = closed.slice(1).map((folder, index) => graph.get(closed[index] ?? '')?.get(folder));
      cycles.set(closed.join(' -> '), `${closed.join(' -> ')}  (${witnesses.join('; ')})`);
    }
  }
  return [...cycles.values()].sort();
}

describe('module boundaries', () => {
  it('has no import cycle between the folders of src/ (type-only imports count too)', () => {
    expect(folderCycles()).toEqual([]);
  });

  it('keeps vendor code inside its provider folder: only the registries (providers, emulations) import a provider folder', () => {
    const offenders = files.flatMap(({ path, imports }) =>
      imports
        .filter((target) => vendorOf(target) !== undefined && vendorOf(target) !== vendorOf(path))
        .filter(() => path !== 'providers/registry.ts' && path !== 'emulation/vendor-emulations.ts')
        .map((target) => `${path} -> ${target}`),
    );
    expect(offenders).toEqual([]);
  });

  it('loads no emulator and no demo in `rotor start`: what src/cli.ts loads as it starts never reaches them', () => {
    const loaded = new Set<string>();
    const visit = (path: string): void => {
      if (loaded.has(path)) return;
      loaded.add(path);
      for (const target of runtimeImportsOf(join(src, path))) visit(target);
    };
    visit('cli.ts');

    expect(loaded.has('daemon/start-daemon.ts')).toBe(true);
    // The emulators' harness, the vendors' emulators and demos, and the registries that gather them.
    const emulationModule = /^(emulation|demo|emulator-harness)\/|\.(emulator|emulation|demo)[.-]/;
    expect([...loaded].filter((path) => emulationModule.test(path))).toEqual([]);
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
