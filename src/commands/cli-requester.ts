import { userInfo } from 'node:os';

/** Who runs a CLI request, for the run history: `cli:<os user>` (`cli:uid-<n>` where the uid has no name). */
export function cliRequester(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    // A container's arbitrary uid often has no passwd entry.
    return `cli:uid-${process.getuid?.() ?? 'unknown'}`;
  }
}
