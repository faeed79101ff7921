import type { Job, JobType, Queue } from 'bullmq';
import type { Logger } from '../lib/logger.js';

/** A job whose hash BullMQ cannot read (a field it parses is not JSON): skipped by status reads, and named. */
export interface CorruptJob {
  readonly id: string;
  readonly reason: string;
}

/** The fields of a job hash BullMQ parses as JSON when it reads the job. */
const PARSED_FIELDS = ['data', 'opts', 'progress', 'parent'] as const;

/** The corrupt jobs one read met, each named once however often it was met. */
export class SkippedJobs {
  readonly #reasons = new Map<string, string>();

  add(job: CorruptJob): void {
    this.#reasons.set(job.id, job.reason);
  }

  list(): CorruptJob[] {
    return [...this.#reasons].map(([id, reason]) => ({ id, reason }));
  }
}

/** Which fields of the job's hash do not parse, for the reason (their values are never shown). */
async function whyUnreadable(queue: Queue, id: string): Promise<string> {
  const client = await queue.getBackend().client;
  const values = await client.hmget(queue.toKey(id), ...PARSED_FIELDS);
  const bad = PARSED_FIELDS.filter((_, index) => {
    const value = values[index];
    if (value === null || value === undefined) return false;
    try {
      JSON.parse(value);
      return false;
    } catch {
      return true;
    }
  });
  return bad.length === 0
    ? 'its hash does not parse'
    : `its ${bad.join(' and ')} ${bad.length === 1 ? 'is' : 'are'} not valid JSON`;
}

/**
 * The job by id; undefined when there is none, or when its hash does not parse (then it is added to
 * `skipped`). Other errors (Redis unreachable) are thrown: only the corrupt job is skipped, not a failing read.
 */
export async function readJob(queue: Queue, id: string, skipped: SkippedJobs): Promise<Job | undefined> {
  try {
    return await queue.getJob(id);
  } catch (error) {
    // BullMQ parses a job's JSON fields as it reads them: JSON.parse's SyntaxError is the corrupt hash.
    if (!(error instanceof SyntaxError)) throw error;
    skipped.add({ id, reason: await whyUnreadable(queue, id) });
    return undefined;
  }
}

/** Every readable job in these states (BullMQ's `getJobs`, except that a corrupt job is skipped, not thrown). */
export async function readJobsIn(
  queue: Queue,
  states: readonly JobType[],
  skipped: SkippedJobs,
): Promise<Job[]> {
  const ids = await queue.getRanges([...states], 0, -1);
  const jobs = await Promise.all(ids.map((id) => readJob(queue, id, skipped)));
  return jobs.filter((job) => job !== undefined);
}

/** How many corrupt job ids are remembered as logged; past it the oldest is forgotten (and may log again). */
const REMEMBERED = 1_000;

/**
 * Logs each corrupt job once per process, however many status reads and sweeps meet it: the operator hears of
 * it without a log line per request.
 */
export class CorruptJobLog {
  readonly #log: Logger;
  readonly #logged = new Set<string>();

  constructor(log: Logger) {
    this.#log = log;
  }

  note(jobs: readonly CorruptJob[]): void {
    for (const job of jobs) {
      if (this.#logged.has(job.id)) continue;
      if (this.#logged.size >= REMEMBERED) {
        const oldest = this.#logged.values().next().value;
        if (oldest !== undefined) this.#logged.delete(oldest);
      }
      this.#logged.add(job.id);
      this.#log.warn(
        { jobId: job.id, reason: job.reason },
        'a job on the queue cannot be read (corrupt hash): status and alert sweeps skip it',
      );
    }
  }
}
