import type { Command } from 'commander';

interface EmulatorsOptions {
  readonly host: string;
  readonly port: string;
  readonly quotas: boolean;
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`--port expects 0 (free ports) or a port number, got "${text}"`);
  }
  return port;
}

/** `rotor emulators`: runs every bundled emulator until killed and prints how to reach them as one JSON line. */
export function register(program: Command): void {
  program
    .command('emulators')
    .description(
      'run the bundled Cloudflare, Moov, TagoIO, Telenor and AWS Secrets Manager emulators; prints one JSON line with their URLs and credentials',
    )
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <number>', 'first port (each emulator takes the next one); 0 picks free ports', '0')
    .option(
      '--quotas',
      "enforce the vendors' documented request quotas (AWS writes, Cloudflare, Moov)",
      false,
    )
    .action(async (options: EmulatorsOptions) => {
      // Loaded here, not at the CLI's start: `rotor start` never loads an emulator.
      const { startBundledEmulators } = await import('../emulation/bundled-emulators.js');
      const running = await startBundledEmulators({
        host: options.host,
        port: parsePort(options.port),
        ...(options.quotas ? { quotas: { enforce: true } } : {}),
      });
      process.stdout.write(`${JSON.stringify(running.clients)}\n`);
      const stop = () => {
        running.close().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
