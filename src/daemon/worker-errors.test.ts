import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { memoryLogger } from '../../test/support/memory-log.js';
import { reportWorkerErrors } from './worker-errors.js';

function reported(error: Error) {
  const worker = new EventEmitter();
  const logged = memoryLogger();
  const unreachable: unknown[] = [];
  reportWorkerErrors(worker, 'rotation worker', {
    log: logged.log,
    reachability: { failed: (failure) => unreachable.push(failure) },
  });
  worker.emit('error', error);
  return {
    lines: logged.lines().map((line) => JSON.parse(line) as { level: number; msg: string }),
    unreachable,
  };
}

describe('a worker error', () => {
  it('that says the job’s lock was lost is a warning explaining why that is safe', () => {
    const { lines, unreachable } = reported(new Error('Missing lock for job p-1. moveToFinished'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40 });
    expect(lines[0]?.msg).toMatch(/lock was lost.*fence/);
    expect(unreachable).toEqual([]);
  });

  it('that says Redis is out of reach goes to reachability, not the log', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
    const { lines, unreachable } = reported(refused);
    expect(lines).toEqual([]);
    expect(unreachable).toEqual([refused]);
  });

  it('of any other kind is logged as an error naming the worker', () => {
    const { lines } = reported(new Error('ERR unknown command'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 50, msg: 'rotation worker error' });
  });
});
