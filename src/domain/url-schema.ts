import { z } from 'zod';

/** The user and password a URL carries (`https://user:pass@host`; empty when none), or undefined for no URL. */
export function urlUserInfo(url: string): { username: string; password: string } | undefined {
  try {
    const { username, password } = new URL(url);
    return { username, password };
  } catch {
    return undefined;
  }
}

/**
 * An http(s) URL without a user or password in it. A URL is plain config, not a Secret (the demo prints its
 * base URLs), so whatever authenticates belongs in the fields made for it, by reference; `advice` says where.
 */
export function httpUrlSchema(advice: string) {
  return z.url({ protocol: /^https?$/ }).refine(
    (url) => {
      const userInfo = urlUserInfo(url);
      return userInfo === undefined || (userInfo.username === '' && userInfo.password === '');
    },
    { error: `expected no user or password in the URL: ${advice}` },
  );
}

/** A connection's `baseUrl`: the vendor's API, or an emulator's. */
export const connectionBaseUrlSchema = httpUrlSchema(
  "remove them; the connection's credentials go in its own fields, by reference",
);
