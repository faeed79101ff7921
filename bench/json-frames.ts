/**
 * V8's CPU profiler has no frame for a builtin such as `JSON.parse`: its time is the calling function's own.
 * For a profile that can tell JSON work apart, these JavaScript wrappers stand in for both, so that time is
 * theirs (`bench/profile-attribution.ts` buckets this file's frames as JSON). Install before the code being
 * profiled is loaded (a module that keeps `JSON.parse` in a variable of its own at load would bypass it); the
 * benchmark does so for `--cpu-prof` runs only.
 */
export function exposeJsonFrames(): void {
  const nativeParse = JSON.parse;
  const nativeStringify = JSON.stringify;
  function jsonParse(
    text: string,
    reviver?: (this: unknown, key: string, value: unknown) => unknown,
  ): unknown {
    return nativeParse(text, reviver);
  }
  function jsonStringify(value: unknown, replacer?: unknown, space?: string | number): string | undefined {
    return nativeStringify(value, replacer as (number | string)[] | null | undefined, space);
  }
  JSON.parse = jsonParse;
  JSON.stringify = jsonStringify as typeof JSON.stringify;
}
