import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Secret } from '../../src/domain/secret.js';

const value = 'bdd31cbc4dec990953e39163fbbb194c93313ca9f0a6e420346af9d326b1d2a5';

describe('Secret', () => {
  it.each([
    ['String()', (s: Secret<string>) => String(s)],
    ['template literal', (s: Secret<string>) => `${s}`],
    ['JSON.stringify', (s: Secret<string>) => JSON.stringify({ s })],
    ['util.inspect', (s: Secret<string>) => inspect({ nested: { s } }, { depth: 10 })],
    ['console-style format', (s: Secret<string>) => inspect(s, { showHidden: true })],
  ])('prints [secret] through %s', (_, render) => {
    const output = render(Secret.of(value));
    expect(output).toContain('[secret]');
    expect(output).not.toContain(value);
  });

  it('hands the value out only through reveal()', () => {
    expect(Secret.of(value).reveal()).toBe(value);
  });

  it('keeps a mapped value secret', () => {
    const mapped = Secret.of({ token: value }).map((doc) => doc.token.toUpperCase());
    expect(JSON.stringify(mapped)).toBe('"[secret]"');
    expect(mapped.reveal()).toBe(value.toUpperCase());
  });

  it('has no enumerable property that exposes the value', () => {
    const secret = Secret.of(value);
    expect(Object.values(secret)).toEqual([]);
    expect({ ...secret }).toEqual({});
  });
});
