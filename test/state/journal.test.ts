import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { RotationError } from '../../src/domain/errors.js';
import { Secret } from '../../src/domain/secret.js';
import type { UpdateOptions } from '../../src/engine/ports.js';
import { Journal } from '../../src/state/journal.js';
import { decryptJournal, encryptJournal } from '../../src/state/journal-cipher.js';
import { RedisStateStore } from '../../src/state/redis-state-store.js';
import { dumpKeys, leakForms, testRedis } from '../support/redis.js';

const oldKey = randomBytes(32);
const newKey = randomBytes(32);
const keys = new Map([
  ['k1', Secret.of(oldKey)],
  ['k2', Secret.of(newKey)],
]);
const plaintext = '{"clientSecret":"bdd31cbc4dec990953e39163fbbb194c93313ca9f0a6e420346af9d326b1d2a5"}';

describe('journal cipher', () => {
  it('round-trips under the active key', () => {
    const envelope = encryptJournal(Secret.of(plaintext), 'p#r#1', keys, 'k2');
    expect(decryptJournal(envelope, 'p#r#1', keys).reveal()).toBe(plaintext);
  });

  it('still decrypts an entry written under an older key', () => {
    const envelope = encryptJournal(Secret.of(plaintext), 'p#r#1', keys, 'k1');
    expect(decryptJournal(envelope, 'p#r#1', keys).reveal()).toBe(plaintext);
  });

  it('refuses an envelope moved to another slot', () => {
    const envelope = encryptJournal(Secret.of(plaintext), 'p#r#1', keys, 'k2');
    expect(() => decryptJournal(envelope, 'p#r#2', keys)).toThrow(/failed authentication/);
  });

  it.each(['ct', 'tag'])('refuses an envelope whose %s was tampered with', (field) => {
    const envelope = JSON.parse(encryptJournal(Secret.of(plaintext), 'aad', keys, 'k2'));
    const bytes = Buffer.from(envelope[field], 'base64');
    bytes[0] = (bytes[0] ?? 0) ^ 1;
    envelope[field] = bytes.toString('base64');
    expect(() => decryptJournal(JSON.stringify(envelope), 'aad', keys)).toThrow(RotationError);
  });

  it('names an unknown key id without revealing key material', () => {
    const envelope = encryptJournal(Secret.of(plaintext), 'aad', keys, 'k2');
    const failure = (() => {
      try {
        decryptJournal(envelope, 'aad', new Map([['k1', Secret.of(oldKey)]]));
      } catch (error) {
        return error as RotationError;
      }
    })();
    expect(failure?.message).toBe('journal key "k2" is not configured (journal.keys)');
    expect(failure?.message).not.toContain(newKey.toString('base64'));
  });

  it('writes an envelope that contains no form of the plaintext', () => {
    const envelope = encryptJournal(Secret.of(plaintext), 'aad', keys, 'k2');
    for (const form of leakForms(plaintext)) expect(envelope).not.toContain(form);
  });
});

describe('journal', () => {
  const { redis, prefix, cleanup } = testRedis();
  const journal = new Journal(redis, { prefix, keys, activeKeyId: 'k2' });
  const store = new RedisStateStore(redis, prefix, {
    ownerLock: { before: `${prefix}:jobs:`, after: ':lock' },
    journal,
  });
  afterAll(cleanup);
  /** A checkpoint of the policy's record carrying a change of its journal slot. */
  const checkpoint = (policyId: string, change: UpdateOptions['journal']) =>
    store.update(policyId, (record) => record, { ...(change === undefined ? {} : { journal: change }) });
  const put = (policyId: string, runId: string, credential = plaintext) =>
    checkpoint(policyId, { put: { runId, issueAttempt: 1, credential: Secret.of(credential) } });

  it('keeps one encrypted credential per policy until its run clears it', async () => {
    await put('p1', 'p1-100');
    const entry = await journal.get('p1');
    expect(entry).toMatchObject({ runId: 'p1-100', issueAttempt: 1 });
    expect(entry?.credential.reveal()).toBe(plaintext);
    expect((await store.getRun('p1')).journaled()?.credential.reveal()).toBe(plaintext);
    await checkpoint('p1', { clearRun: 'p1-999' });
    expect(await journal.get('p1')).toBeDefined();
    await checkpoint('p1', { clearRun: 'p1-100' });
    expect(await journal.get('p1')).toBeUndefined();
    expect((await store.getRun('p1')).journaled()).toBeUndefined();
  });

  it("refuses to overwrite another run's unstaged credential, writing nothing, but accepts a rewrite of the same one", async () => {
    await put('p2', 'p2-100');
    await put('p2', 'p2-100');
    const before = await store.get('p2');
    await expect(put('p2', 'p2-200', 'x')).rejects.toMatchObject({
      kind: 'protocol',
      message: expect.stringContaining("another run's unstaged credential"),
    });
    expect(await store.get('p2')).toEqual(before);
    expect((await journal.get('p2'))?.runId).toBe('p2-100');
  });

  it('reports an unreadable slot only to the caller that asks for its entry', async () => {
    await redis.set(journal.key('p4'), 'not a journal entry');
    const run = await store.getRun('p4');
    expect(run.record).toMatchObject({ policyId: 'p4', revision: 0 });
    expect(() => run.journaled()).toThrow(/policy p4: its journal entry is corrupt/);
  });

  it('leaves no form of the credential anywhere in Redis', async () => {
    await put('p3', 'p3-100');
    const everything = await dumpKeys(redis, prefix);
    expect(everything).toContain('p3-100');
    for (const form of leakForms(plaintext)) expect(everything).not.toContain(form);
    for (const form of leakForms('bdd31cbc4dec990953e39163fbbb194c93313ca9f0a6e420346af9d326b1d2a5')) {
      expect(everything).not.toContain(form);
    }
  });
});
