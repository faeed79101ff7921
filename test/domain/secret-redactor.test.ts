import { describe, expect, it } from 'vitest';
import { REDACTED, redactStrings, SecretRedactor } from '../../src/domain/secret-redactor.js';

const TOKEN = 'Zq3+vR8/kL0pWm2xYt7_bN4-cH6sDj9aEf1gUi5oPy0=';
const redactorWith = (...values: string[]) => {
  const redactor = new SecretRedactor();
  for (const value of values) redactor.add(value);
  return redactor;
};
/** Whether any 16 characters of `value` are left in `text` (what a leak is, by rotor's rule). */
const keepsAnyRunOf = (text: string, value: string) =>
  Array.from({ length: value.length - 15 }, (_, i) => value.slice(i, i + 16)).some((run) =>
    text.includes(run),
  );

describe('SecretRedactor', () => {
  it('removes a registered value in every form it takes in text', () => {
    const redactor = redactorWith(TOKEN);
    const bytes = Buffer.from(TOKEN, 'utf8');
    const forms = {
      raw: TOKEN,
      'URL-encoded': encodeURIComponent(TOKEN),
      'JSON-escaped': JSON.stringify(TOKEN).slice(1, -1),
      base64: bytes.toString('base64'),
      base64url: bytes.toString('base64url'),
      hex: bytes.toString('hex'),
      'upper-case hex': bytes.toString('hex').toUpperCase(),
      'upper-case URL escapes': encodeURIComponent(TOKEN).toLowerCase(),
    };
    for (const [name, form] of Object.entries(forms)) {
      expect(redactor.redact(`vendor said: "${form}" (400)`), name).toBe(`vendor said: "${REDACTED}" (400)`);
    }
  });

  it('removes a value inside a longer base64 text at any byte alignment (an HTTP Basic token)', () => {
    const secret = 'sk_4f1c9e0b7a2d8c3e5f6a1b0c9d8e7f6a';
    const redactor = redactorWith(secret);
    for (const user of ['pk', 'pk_', 'pk_1']) {
      const basic = Buffer.from(`${user}:${secret}`).toString('base64');
      const left = redactor.redact(basic).replace(REDACTED, '');
      // Left: the groups holding the user name and the colon, and the last partial group (4 characters each).
      expect(left.length, user).toBeLessThanOrEqual(12);
      expect(basic.length - left.length, user).toBeGreaterThan(secret.length);
    }
  });

  it('removes any run of 16 or more characters of a value, and keeps shorter pieces', () => {
    const redactor = redactorWith(TOKEN);
    const pieces = [TOKEN.slice(0, 20), TOKEN.slice(20, 40), TOKEN.slice(40)];
    const text = redactor.redact(`pieces: ${pieces.join(' / ')}`);
    expect(text).toMatch(new RegExp(`^pieces: \\[redacted\\] .*\\[redacted\\] / ${TOKEN.slice(40)}$`));
    expect(keepsAnyRunOf(text, TOKEN)).toBe(false);
    for (let start = 0; start + 16 <= TOKEN.length; start += 5) {
      const run = TOKEN.slice(start, start + 16);
      expect(redactor.redact(`x${run}x`), `offset ${start}`).toBe(`x${REDACTED}x`);
    }
    const fifteen = TOKEN.slice(3, 18);
    expect(redactor.redact(`x ${fifteen} x`)).toBe(`x ${fifteen} x`);
  });

  it('removes a value split by whitespace anywhere inside it, however short the pieces', () => {
    const uuid = '3f0c2a9e-7b41-4d8a-9c15-e2b7a6d40f83';
    const redactor = redactorWith(uuid);
    for (const at of [1, 5, 18, 30, 35]) {
      const spaced = `${uuid.slice(0, at)} ${uuid.slice(at)}`;
      expect(redactor.redact(`token "${spaced}" refused`), `space at ${at}`).toBe(
        `token "${REDACTED}" refused`,
      );
    }
    const wrapped = `${uuid.slice(0, 10)}\n  ${uuid.slice(10, 20)}\t${uuid.slice(20)}`;
    expect(redactor.redact(`[${wrapped}]`)).toBe(`[${REDACTED}]`);
  });

  it('removes a value shorter than 16 characters only where it occurs whole, and ignores tiny values', () => {
    const redactor = new SecretRedactor();
    expect(redactor.add('hunter2')).toBe(false);
    expect(redactor.add('pa55w0rd!X')).toBe(true);
    expect(redactor.redact('login pa55w0rd!X, then pa55w0rd! and hunter2')).toBe(
      `login ${REDACTED}, then pa55w0rd! and hunter2`,
    );
  });

  it('merges overlapping and adjacent matches of different values into one redaction', () => {
    const first = 'aaaa1111bbbb2222cccc3333';
    const second = 'cccc3333dddd4444eeee5555';
    const redactor = redactorWith(first, second);
    const text = redactor.redact(`<${first.slice(0, 16)}dddd4444eeee5555> <${first}${second}>`);
    expect(text).toBe(`<${REDACTED}> <${REDACTED}>`);
    expect(keepsAnyRunOf(text, first) || keepsAnyRunOf(text, second)).toBe(false);
  });

  it('handles non-ASCII values and text without splitting characters', () => {
    const secret = 'pässwört-🔑-geheimnis-ключ-42';
    const redactor = redactorWith(secret);
    const asciiJson = JSON.stringify(secret)
      .slice(1, -1)
      .replace(/[\u007f-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
    for (const form of [
      secret,
      encodeURIComponent(secret),
      asciiJson,
      Buffer.from(secret).toString('base64'),
    ]) {
      const text = redactor.redact(`🔒 ${form} 🔒`);
      expect(text, form).toBe(`🔒 ${REDACTED} 🔒`);
    }
    // A run that starts inside a character (a low surrogate shared by another emoji, U+1D111) takes the
    // whole character out, never half of it.
    const afterKey = secret.slice(secret.indexOf('🔑') + 2);
    const text = redactor.redact(`x\u{1D111}${afterKey}x`);
    expect(text).toBe(`x${REDACTED}x`);
    expect(text).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
  });

  it('leaves text without secrets untouched', () => {
    const redactor = redactorWith(TOKEN, 'another-secret-value-0123456789');
    const line =
      '{"level":30,"policyId":"ci-runner","runId":"ci-runner-m1795537078840","versionId":"fd7bcfc4-e14f-50e9-af55-e1f8696dcad2","msg":"rotation succeeded"}';
    expect(redactor.redact(line)).toBe(line);
    expect(redactor.redact('')).toBe('');
  });

  it('forgets a value when the last holder releases it', () => {
    const redactor = new SecretRedactor();
    const config = redactor.scope();
    const job = redactor.scope();
    config.hold([TOKEN]);
    job.hold([TOKEN, 'issued-credential-0123456789abcdef']);
    expect(redactor.size).toBe(2);
    job.release();
    expect(redactor.size).toBe(1);
    expect(redactor.redact(`${TOKEN} issued-credential-0123456789abcdef`)).toBe(
      `${REDACTED} issued-credential-0123456789abcdef`,
    );
    config.release();
    expect(redactor.size).toBe(0);
    expect(redactor.redact(TOKEN)).toBe(TOKEN);
    job.hold(['late-value-0123456789']);
    expect(redactor.size).toBe(0);
  });

  it('redacts every string inside a structure, and nothing else', () => {
    const redactor = redactorWith(TOKEN);
    const event = { id: 'evt_1', error: { kind: 'auth', message: `refused ${TOKEN}` }, details: [TOKEN, 3] };
    expect(redactStrings(event, redactor)).toEqual({
      id: 'evt_1',
      error: { kind: 'auth', message: `refused ${REDACTED}` },
      details: [REDACTED, 3],
    });
  });
});
