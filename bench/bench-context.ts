/** What every scenario is given: where Redis is, how big to go, how many runs make a figure. */
export interface BenchContext {
  readonly redisUrl: string;
  readonly quick: boolean;
  /** Runs per figure (the median and the spread are over these). */
  readonly runs: number;
  /** Worker concurrency for rotor and the baseline alike. */
  readonly concurrency: number;
  /** `--cpu-prof DIR`: scenarios that support it write V8 CPU profiles of their measured rounds there. */
  readonly cpuProfileDir?: string;
  progress(message: string): void;
}
