import type { z } from 'zod';
import type { ConfigProblem, PathSegment } from './config-problem.js';
import type { YamlSource } from './yaml-source.js';

type Issue = z.core.$ZodIssue;

/**
 * A union's issues as the user's mistake: when the value has the shape of one option (its issues lie inside
 * the value), that option's issues; otherwise the union's own message.
 */
function unionIssues(issue: Issue): readonly Issue[] {
  if (issue.code !== 'invalid_union') return [issue];
  const matched = issue.errors.find((option) => option.length > 0 && option.every((o) => o.path.length > 0));
  if (!matched) return [issue];
  return matched.flatMap((inner) => unionIssues({ ...inner, path: [...issue.path, ...inner.path] }));
}

/** A record key's issues in its key schema's words, not zod's "Invalid key in record". */
function keyIssues(issue: Issue): readonly Issue[] {
  if (issue.code !== 'invalid_key') return [issue];
  return issue.issues.map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] }));
}

/** zod issues as config problems, located in the YAML file. Messages never include the input value. */
export function problemsFromZod(
  source: YamlSource,
  base: readonly PathSegment[],
  error: z.ZodError,
): ConfigProblem[] {
  return error.issues
    .flatMap(unionIssues)
    .flatMap(keyIssues)
    .flatMap((issue) => {
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
