/** One thing wrong with a config file: where it is and what was expected. */
export interface ConfigProblem {
  readonly file: string;
  /** YAML path such as `policies[0].schedule.cron`; empty for the whole file. */
  readonly path: string;
  readonly line?: number;
  readonly column?: number;
  readonly message: string;
}

export type PathSegment = string | number;

export function formatPath(path: readonly PathSegment[]): string {
  return path.reduce<string>((text, segment) => {
    if (typeof segment === 'number') return `${text}[${segment}]`;
    return /^[A-Za-z_$][\w$-]*$/.test(segment)
      ? text
        ? `${text}.${segment}`
        : segment
      : `${text}[${JSON.stringify(segment)}]`;
  }, '');
}

export function formatProblem(problem: ConfigProblem): string {
  const at =
    problem.line === undefined ? problem.file : `${problem.file}:${problem.line}:${problem.column ?? 1}`;
  return problem.path ? `${at}: ${problem.path}: ${problem.message}` : `${at}: ${problem.message}`;
}
