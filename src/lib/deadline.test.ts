import { afterEach, describe, expect, it, vi } from 'vitest';
import { withDeadline } from './deadline.js';

describe('withDeadline', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('aborts the work with a TimeoutError once the deadline passes', async () => {
    vi.useFakeTimers();
    const settled = withDeadline(
      1_000,
      (signal) =>
        new Promise<never>((_resolve, reject) => {
          signal.addEventListener('abort', () => reject(signal.reason));
        }),
    );
    const outcome = expect(settled).rejects.toMatchObject({ name: 'TimeoutError' });
    await vi.advanceTimersByTimeAsync(1_000);
    await outcome;
  });

  it('releases its timer as soon as the work settles', async () => {
    vi.useFakeTimers();
    await expect(withDeadline(60_000, async () => 'done')).resolves.toBe('done');
    await expect(withDeadline(60_000, async () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('aborts with the parent signal and stops listening to it afterwards', async () => {
    const parent = new AbortController();
    const listen = vi.spyOn(parent.signal, 'addEventListener');
    const forget = vi.spyOn(parent.signal, 'removeEventListener');
    const settled = withDeadline(
      60_000,
      (signal) =>
        new Promise<never>((_resolve, reject) => {
          signal.addEventListener('abort', () => reject(signal.reason));
        }),
      parent.signal,
    );
    parent.abort(new Error('job cancelled'));
    await expect(settled).rejects.toThrow('job cancelled');
    expect(forget).toHaveBeenCalledWith('abort', listen.mock.calls[0]?.[1]);
  });

  it('starts aborted when the parent already is', async () => {
    const parent = AbortSignal.abort(new Error('gone'));
    await expect(withDeadline(60_000, async (signal) => signal.reason, parent)).resolves.toMatchObject({
      message: 'gone',
    });
  });
});
