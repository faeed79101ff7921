const MAX_VENDOR_MESSAGE = 200;
// Long runs of token-like characters mixing letters and digits are what credentials look like; vendor
// messages sometimes echo them. Dotted identifiers such as `access.api.error.not_found` have no digits.
const TOKEN_LIKE = /[A-Za-z0-9+/=_.~-]{24,}/g;
const looksLikeToken = (run: string): boolean => /\d/.test(run) && /[A-Za-z]/.test(run);
// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]+/g;

/** Reduces vendor-provided text to something safe to log, store and alert on. */
export function sanitizeVendorMessage(message: string): string {
  const cleaned = message
    .replace(CONTROL, ' ')
    .replace(TOKEN_LIKE, (run) => (looksLikeToken(run) ? '[redacted]' : run))
    .trim();
  return cleaned.length > MAX_VENDOR_MESSAGE ? `${cleaned.slice(0, MAX_VENDOR_MESSAGE - 1)}…` : cleaned;
}
