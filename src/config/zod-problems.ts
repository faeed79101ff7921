import type { z } from 'zod';
import type { ConfigProblem, PathSegment } from './config-problem.js';
import type { YamlSource } from './yaml-source.js';

/** zod issues as config problems, located in the YAML file. Messages never include the input value. */
export function problemsFromZod(
  source: YamlSource,
  base: readonly PathSegment[],
  error: z.ZodError,
): ConfigProblem[] {
  return error.issues.flatMap((issue) => {
    const path = [
      ...base,
      ...issue.path.filter((segment): segment is PathSegment => typeof segment !== 'symbol'),
    ];
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => source.problem([...path, key], `unknown key "${key}"`));
    }
    return [source.problem(path, issue.message)];
  });
}
