import type { PathSegment } from './config-problem.js';

/**
 * Deletes every `__proto__` key of a parsed YAML value, in place, and returns where each was. The parser keeps
 * such a key as an own property, but the schemas would drop it (records and loose objects skip it; an
 * assignment sets a prototype instead), so a connection or a tag of that name would vanish without a word: the
 * caller reports each one instead. Aliased nodes are walked at each use, which the parser's expansion guard
 * already bounds.
 */
export function takePrototypeKeys(value: unknown): PathSegment[][] {
  const found: PathSegment[][] = [];
  const path: PathSegment[] = [];
  const visit = (node: unknown): void => {
    if (typeof node !== 'object' || node === null) return;
    if (Array.isArray(node)) {
      for (let index = 0; index < node.length; index++) {
        path.push(index);
        visit(node[index]);
        path.pop();
      }
      return;
    }
    const record = node as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      path.push(key);
      if (key === '__proto__') {
        found.push([...path]);
        delete record[key];
      } else visit(record[key]);
      path.pop();
    }
  };
  visit(value);
  return found;
}
