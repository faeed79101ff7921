/**
 * Nodes in a parsed YAML value as written (an alias counts once) and once its aliases are expanded. The parser
 * shares an aliased node instead of copying it, so a "billion laughs" file is small in memory, but anything
 * that walks the value (the schemas) visits every expanded node. Each distinct node is sized once.
 */
export function yamlNodeCounts(value: unknown): { written: number; expanded: number } {
  const sizes = new Map<object, number>();
  let written = 1;
  const sizeOf = (node: unknown): number => {
    if (typeof node !== 'object' || node === null) return 1;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    const children = Array.isArray(node) ? node : Object.values(node);
    written += children.length;
    let size = 1;
    for (const child of children) size += sizeOf(child);
    sizes.set(node, size);
    return size;
  };
  return { expanded: sizeOf(value), written };
}
