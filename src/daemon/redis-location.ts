/** Which Redis and prefix, for logs and alerts: host, port and database from the URL, never its password. */
export function redisLocation(url: string, prefix: string): string {
  try {
    const parsed = new URL(url);
    const database = parsed.pathname.replace(/^\//, '') || '0';
    return `${parsed.protocol}//${parsed.host}/${database} prefix ${prefix}`;
  } catch {
    return `prefix ${prefix}`;
  }
}
