/**
 * Where an emulator must listen so that a configured URL reaches it (the demo serves the vendors itself):
 * the URL's host and port, which must be an explicit http:// port.
 */
export function listenAddressOf(url: string, what: string): { host: string; port: number } {
  const parsed = new URL(url);
  const port = Number(parsed.port);
  if (parsed.protocol !== 'http:' || !Number.isInteger(port) || port <= 0) {
    throw new Error(`the demo serves ${what} itself, so its URL must be http:// with a port; got ${url}`);
  }
  return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port };
}
