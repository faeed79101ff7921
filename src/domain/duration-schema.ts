import { z } from 'zod';
import { parseDuration } from './duration.js';

/** A duration string (`500ms`, `30s`, `10m`, `24h`, `7d`, `1h30m`) parsed into milliseconds. */
export const durationSchema = z
  .string({ error: 'expected a duration such as 30s, 10m, 24h or 7d' })
  .transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a duration such as 30s, 10m, 24h or 7d (units ms, s, m, h, d), got "${text}"`,
      });
      return z.NEVER;
    }
    return ms;
  });
