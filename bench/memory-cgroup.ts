import { access, mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A memory cgroup to start a process in, as a container runtime does: the kernel holds the group to its limit
 * (swap included) and Node sizes its heap from it. Available when the bench may create one (root, a writable
 * cgroup v2 with the memory controller, or v1's memory hierarchy).
 */
export interface MemoryCgroup {
  readonly limitMiB: number;
  /** The command line that runs `command` inside the group. */
  wrap(command: string, args: readonly string[]): { command: string; args: string[] };
  /** The most memory ever charged to the group, in MiB. */
  peakMiB(): Promise<number>;
  /** Processes of the group the kernel killed for want of memory. */
  oomKills(): Promise<number>;
  remove(): Promise<void>;
}

interface Layout {
  readonly limitFiles: readonly string[];
  readonly optionalLimitFiles: readonly string[];
  readonly peakFile: string;
  /** The file with an `oom_kill N` line. */
  readonly oomFile: string;
}

const V2: Layout = {
  limitFiles: ['memory.max'],
  optionalLimitFiles: ['memory.swap.max'],
  peakFile: 'memory.peak',
  oomFile: 'memory.events',
};
const V1: Layout = {
  limitFiles: ['memory.limit_in_bytes'],
  optionalLimitFiles: ['memory.memsw.limit_in_bytes'],
  peakFile: 'memory.max_usage_in_bytes',
  oomFile: 'memory.oom_control',
};

/** A new group limited to `limitMiB`, or undefined when this machine does not let the bench create one. */
export async function openMemoryCgroup(limitMiB: number): Promise<MemoryCgroup | undefined> {
  const name = `rotor-bench-${process.pid}`;
  const candidates: [string, Layout][] = [];
  const v2Controllers = await readFile('/sys/fs/cgroup/cgroup.controllers', 'utf8').catch(() => '');
  if (v2Controllers.split(/\s+/).includes('memory')) candidates.push(['/sys/fs/cgroup', V2]);
  candidates.push(['/sys/fs/cgroup/memory', V1]);
  for (const [root, layout] of candidates) {
    const dir = join(root, name);
    try {
      await access(join(root, 'cgroup.procs'));
      if (layout === V2) {
        await writeFile(join(root, 'cgroup.subtree_control'), '+memory').catch(() => undefined);
      }
      await mkdir(dir);
    } catch {
      continue;
    }
    try {
      const bytes = String(limitMiB * 1024 * 1024);
      for (const file of layout.limitFiles) await writeFile(join(dir, file), bytes);
      for (const file of layout.optionalLimitFiles) {
        // Swap would let the group hold more than its limit in memory terms; none is allowed.
        await writeFile(join(dir, file), layout === V2 ? '0' : bytes).catch(() => undefined);
      }
      await access(join(dir, layout.peakFile));
    } catch {
      await rmdir(dir).catch(() => undefined);
      continue;
    }
    return groupAt(dir, layout, limitMiB);
  }
  return undefined;
}

function groupAt(dir: string, layout: Layout, limitMiB: number): MemoryCgroup {
  return {
    limitMiB,
    wrap: (command, args) => ({
      command: '/bin/sh',
      // The shell joins the group, then becomes the command: everything it allocates is charged there.
      args: ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', dir, command, ...args],
    }),
    peakMiB: async () =>
      Math.round(Number((await readFile(join(dir, layout.peakFile), 'utf8')).trim()) / 1024 / 1024),
    oomKills: async () => {
      const text = await readFile(join(dir, layout.oomFile), 'utf8');
      return Number(/^oom_kill (\d+)$/m.exec(text)?.[1] ?? 0);
    },
    remove: () => rmdir(dir),
  };
}
