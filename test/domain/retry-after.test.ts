import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../../src/domain/retry-after.js';

const now = Date.parse('2026-11-24T10:00:00Z');

describe('parseRetryAfter', () => {
  it.each([
    ['30', 30_000],
    ['0', 0],
    ['1.5', 1500],
    ['Tue, 24 Nov 2026 10:00:45 GMT', 45_000],
    ['Tue, 24 Nov 2026 09:59:00 GMT', 0],
    ['999999999', 86_400_000],
  ])('%j waits %i ms', (header, ms) => {
    expect(parseRetryAfter(header, now)).toBe(ms);
  });

  it.each([undefined, '', 'soon', '-5'])('%j gives no delay', (header) => {
    expect(parseRetryAfter(header, now)).toBeUndefined();
  });
});
