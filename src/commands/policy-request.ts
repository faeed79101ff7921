import type { PolicyConfig, RotorConfig } from '../config/rotor-config.js';
import { parseDuration } from '../domain/duration.js';
import { CommandFailure, loadConfigForCommand } from './load-config-for-command.js';

/**
 * What a command that asks the daemon for work on one policy starts from: its `--timeout`, read first (a
 * usage error costs no config load), the config, and the policy. Each problem ends the command with exit 2.
 */
export async function policyRequest(
  configFile: string,
  policyId: string,
  timeout: string,
): Promise<{ readonly config: RotorConfig; readonly policy: PolicyConfig; readonly timeoutMs: number }> {
  const timeoutMs = parseDuration(timeout);
  if (timeoutMs === undefined)
    throw new CommandFailure(`--timeout expects a duration such as 60s, got "${timeout}"`, 2);
  const config = await loadConfigForCommand(configFile);
  const policy = config.policies.find((candidate) => candidate.id === policyId);
  if (!policy) throw new CommandFailure(`no policy "${policyId}" in ${configFile}`, 2);
  return { config, policy, timeoutMs };
}
