/** V8 takes a substring of 13 characters or more as a view into its parent string instead of copying it. */
const SHORTEST_VIEW = 13;

/**
 * Replaces, in place, every long string of a parsed YAML value with a copy of its own. The parser cuts scalars
 * out of the file's text as views, so one kept string (a target id) would keep the whole text alive for the
 * daemon's life: 21 MB for a 100,000-policy file. Aliased nodes may be visited more than once; the copy is
 * idempotent and the expansion is already bounded.
 */
export function detachStrings(value: unknown): void {
  if (typeof value !== 'object' || value === null) return;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const item: unknown = value[index];
      if (typeof item === 'string') value[index] = ownCopy(item);
      else detachStrings(item);
    }
    return;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const item = record[key];
    if (typeof item !== 'string') detachStrings(item);
    else if (item.length < SHORTEST_VIEW) continue;
    // `__proto__` is an own key here (the parser defines it); plain assignment would set the prototype.
    else if (key === '__proto__') Object.defineProperty(record, key, { value: ownCopy(item) });
    else record[key] = ownCopy(item);
  }
}

function ownCopy(text: string): string {
  return text.length < SHORTEST_VIEW ? text : (JSON.parse(JSON.stringify(text)) as string);
}
