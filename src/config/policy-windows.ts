import type { RotationWindows } from '../domain/rotation-windows.js';
import { locateWindowProblems } from '../domain/window-problems.js';
import { type ConfigProblem, formatPath, type PathSegment } from './config-problem.js';
import { type WindowsInput, windowsOf } from './windows.schema.js';
import type { YamlSource } from './yaml-source.js';

/** A policy's windows (undefined: any time), its problems added to the load's, each reported once. */
export type PolicyWindowsCheck = (
  own: WindowsInput | undefined,
  ownPath: readonly PathSegment[],
) => RotationWindows | undefined;

/**
 * Merges each policy's windows with the config's `rotationWindows` and refuses a set that never lets a
 * rotation start. A problem is reported where its part was written: in the policy's own block, or in the
 * default (once, however many policies inherit it).
 */
export function policyWindows(
  source: YamlSource,
  defaults: WindowsInput | undefined,
  problems: ConfigProblem[],
): PolicyWindowsCheck {
  const reported = new Set<string>();
  const key = (path: readonly PathSegment[], message: string) => `${JSON.stringify(path)} ${message}`;
  const report = (path: readonly PathSegment[], message: string) => {
    if (reported.has(key(path, message))) return;
    reported.add(key(path, message));
    problems.push(source.problem(path, message));
  };
  const defaultWindows = windowsOf(defaults, undefined);
  for (const problem of defaultWindows ? locateWindowProblems(defaultWindows) : [])
    report(['rotationWindows', ...problem.path], problem.message);

  return (own, ownPath) => {
    const windows = windowsOf(defaults, own);
    if (windows === undefined) return undefined;
    for (const problem of locateWindowProblems(windows)) {
      const part = problem.path[0] as keyof WindowsInput;
      if (own?.[part] !== undefined) report([...ownPath, ...problem.path], problem.message);
      // A default part that fails only beside this policy's own part is this policy's problem.
      else if (!reported.has(key(['rotationWindows', ...problem.path], problem.message)))
        report(ownPath, `with rotationWindows.${formatPath(problem.path)}: ${problem.message}`);
    }
    return windows;
  };
}
