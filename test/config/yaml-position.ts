/** 1-based line and column of the first occurrence of `marker` in `text`, as config problems give them. */
export function positionOf(text: string, marker: string): { line: number; column: number } {
  const index = text.indexOf(marker);
  if (index < 0) throw new Error(`no "${marker}" in the config`);
  const before = text.slice(0, index).split('\n');
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}
