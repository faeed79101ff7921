import { Redis } from 'ioredis';

/** A command a client sent, as Redis's MONITOR shows it, with the commands its script ran (names in lower case). */
export interface RedisCall {
  /** The client's `ip:port`. */
  readonly source: string;
  readonly commands: readonly (readonly string[])[];
}

/** Every command a Redis runs from now on (MONITOR on a connection of its own), until `stop`. */
export async function monitorRedis(url: string): Promise<{ calls(): RedisCall[]; stop(): void }> {
  const client = new Redis(url);
  const monitor = await client.monitor();
  const calls: { source: string; commands: string[][] }[] = [];
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    // Scripts name their commands as they call them ('GET'); clients' commands arrive in lower case.
    const [name = '', ...rest] = args;
    const command = [name.toLowerCase(), ...rest];
    // A script's commands follow the EVALSHA that ran it, from source 'lua'.
    const open = calls.at(-1);
    if (source === 'lua' && open) open.commands.push(command);
    else calls.push({ source, commands: [command] });
  });
  return {
    calls: () => [...calls],
    stop: () => {
      monitor.disconnect();
      client.disconnect();
    },
  };
}
