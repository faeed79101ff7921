/**
 * Runs `work` with a signal that aborts after `ms` (reason: a TimeoutError, as AbortSignal.timeout gives) and
 * releases the timer when the work settles. AbortSignal.timeout keeps its timer, the signal and every
 * listener added to it (a client's request state) alive for the whole `ms`, however early the work ended:
 * at thousands of calls a second that holds hundreds of megabytes.
 */
export async function withDeadline<T>(
  ms: number,
  work: (signal: AbortSignal) => Promise<T>,
  parent?: AbortSignal,
): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
    ms,
  );
  const forward = () => controller.abort(parent?.reason);
  if (parent?.aborted) forward();
  else parent?.addEventListener('abort', forward, { once: true });
  try {
    return await work(controller.signal);
  } finally {
    clearTimeout(timer);
    parent?.removeEventListener('abort', forward);
  }
}
