import {
  type Job,
  type JobJson,
  type Processor,
  UnrecoverableError,
  Worker,
  type WorkerOptions,
} from 'bullmq';
import type { Logger } from '../lib/logger.js';

const UNREADABLE_DATA = 'its data is not valid JSON';

/**
 * BullMQ's Worker, except for a job whose data is not JSON. BullMQ parses a job's data as it takes the job, so
 * such a job throws before any processor runs: it stays active until the stalled check moves it back to wait,
 * the next take throws again, and it never fails (its deferred failure is applied only to a job that
 * parsed). Here it is handed to BullMQ with empty data and failed at once, unrun, with the reason as its
 * failed reason, so the policy's deduplication is released and later rotations can run.
 */
export class WorkerFailingUnreadableJobs extends Worker {
  /** The jobs taken whose data did not parse. */
  readonly #unreadable = new WeakSet<Job>();
  readonly #log: Logger;

  constructor(name: string, processor: Processor, opts: WorkerOptions, log: Logger) {
    super(name, processor, opts);
    this.#log = log;
  }

  protected override createJob(json: JobJson, jobId: string): Job {
    try {
      return super.createJob(json, jobId);
    } catch (error) {
      // Job.fromJSON parses only `data`; other fields that fail to parse throw before this point.
      if (!(error instanceof SyntaxError)) throw error;
      const job = super.createJob({ ...json, data: '{}' }, jobId);
      this.#unreadable.add(job);
      return job;
    }
  }

  protected override callProcessJob(job: Job, token: string, signal?: AbortSignal): Promise<unknown> {
    if (!this.#unreadable.has(job)) return super.callProcessJob(job, token, signal);
    this.#log.error(
      { jobId: job.id, jobName: job.name, reason: UNREADABLE_DATA },
      'a job on the queue cannot be read (corrupt hash): failed without running',
    );
    return Promise.reject(
      new UnrecoverableError(`job ${job.id} cannot be read: ${UNREADABLE_DATA}; failed unrun`),
    );
  }
}
