import { describe, expect, it } from 'vitest';
import { sanitizeVendorMessage } from '../../src/domain/sanitize.js';

describe('sanitizeVendorMessage', () => {
  it('keeps ordinary vendor text', () => {
    expect(sanitizeVendorMessage('access.api.error.not_found')).toBe('access.api.error.not_found');
    expect(sanitizeVendorMessage('Invalid API Token')).toBe('Invalid API Token');
  });

  it('redacts token-like runs a vendor echoed back', () => {
    const echoed = 'token bdd31cbc4dec990953e39163fbbb194c93313ca9f0a6e420346af9d326b1d2a5 is invalid';
    expect(sanitizeVendorMessage(echoed)).toBe('token [redacted] is invalid');
  });

  it('strips control characters and caps the length', () => {
    const text = sanitizeVendorMessage(`line one\nline two\u0007${' word'.repeat(100)}`);
    expect(text).not.toContain('\n');
    expect(text).not.toContain('\u0007');
    expect(text.length).toBeLessThanOrEqual(200);
  });
});
