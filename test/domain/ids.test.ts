import { describe, expect, it } from 'vitest';
import {
  dueTimeOfRun,
  fingerprint,
  manualRunId,
  POLICY_ID_PATTERN,
  scheduledRunId,
  uuidV5,
  versionIdFor,
} from '../../src/domain/ids.js';

describe('run ids', () => {
  it('names a scheduled run by policy and due time, without a colon', () => {
    expect(scheduledRunId('ci-runner', 1_764_000_000_000)).toBe('ci-runner-1764000000000');
  });

  it('marks an on-demand run with m before the request time', () => {
    expect(manualRunId('ci-runner', 1_764_000_000_000)).toBe('ci-runner-m1764000000000');
  });

  it('reads a scheduled run’s due time back from its id, and none from any other id', () => {
    expect(dueTimeOfRun('ci-runner', scheduledRunId('ci-runner', 1_764_000_000_000))).toBe(1_764_000_000_000);
    expect(dueTimeOfRun('ci-runner', manualRunId('ci-runner', 1_764_000_000_000))).toBeUndefined();
    // A run of `ci-runner` is not a run of `ci`, though its id starts with `ci-`.
    expect(dueTimeOfRun('ci', scheduledRunId('ci-runner', 1_764_000_000_000))).toBeUndefined();
    expect(dueTimeOfRun('ci-runner', scheduledRunId('other', 1_764_000_000_000))).toBeUndefined();
  });
});

describe('versionIdFor', () => {
  it('is a stable UUIDv5 within AWS ClientRequestToken limits', () => {
    const id = versionIdFor('ci-runner-1764000000000', 1);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(id.length).toBeGreaterThanOrEqual(32);
    expect(id.length).toBeLessThanOrEqual(64);
    expect(versionIdFor('ci-runner-1764000000000', 1)).toBe(id);
  });

  it('changes with the issue attempt and with the run', () => {
    const first = versionIdFor('ci-runner-1764000000000', 1);
    expect(versionIdFor('ci-runner-1764000000000', 2)).not.toBe(first);
    expect(versionIdFor('ci-runner-1764000000001', 1)).not.toBe(first);
  });

  it('matches the RFC 4122 UUIDv5 test vector', () => {
    // Python: uuid.uuid5(uuid.NAMESPACE_DNS, 'python.org')
    expect(uuidV5('python.org', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe(
      '886313e1-3b8a-5372-9b90-0c9aee199e5d',
    );
  });
});

describe('POLICY_ID_PATTERN', () => {
  it.each(['ci-runner', 'a', 'prod-1', '0day'])('accepts %s', (id) => {
    expect(POLICY_ID_PATTERN.test(id)).toBe(true);
  });

  it.each(['', 'CI', 'ci_runner', 'ci:runner', '-lead', 'a'.repeat(64), 'ci runner'])('refuses %j', (id) => {
    expect(POLICY_ID_PATTERN.test(id)).toBe(false);
  });
});

describe('fingerprint', () => {
  it('is short, stable and not the value', () => {
    const print = fingerprint('token-value-123');
    expect(print).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(fingerprint('token-value-123')).toBe(print);
    expect(fingerprint('token-value-124')).not.toBe(print);
  });
});
