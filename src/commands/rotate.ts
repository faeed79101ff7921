import type { Command } from 'commander';
import { heldRefusal } from '../consumers/held-refusal.js';
import { requestRotation } from '../queue/rotation-requests.js';
import { deferralText } from '../queue/rotation-start.js';
import { cliRequester } from './cli-requester.js';
import { openCommandQueue } from './command-queue.js';
import { CommandFailure } from './load-config-for-command.js';
import { policyRequest } from './policy-request.js';

interface RotateOptions {
  readonly config: string;
  readonly wait?: boolean;
  readonly timeout: string;
  readonly reason?: string;
  readonly force?: boolean;
}

/** `rotor rotate POLICY`: asks the daemon for a rotation now; `--wait` reports its outcome. */
export function register(program: Command): void {
  program
    .command('rotate')
    .description(
      'rotate a policy now (the running daemon does the work); exit 4, nothing requested, while a displaced credential is held for its consumers (--force rotates anyway)',
    )
    .argument('<policy>', 'policy id')
    .requiredOption('--config <file>', 'rotor config file (YAML)')
    .option(
      '--wait',
      'wait for the outcome; exit 0 on success, 1 on failure, 3 when the windows defer it past --timeout',
    )
    .option('--timeout <duration>', 'how long --wait waits', '60s')
    .option('--reason <text>', 'why (kept in the run history, for audit)')
    .option(
      '--force',
      'rotate now even outside the policy’s windows, in a freeze, or while a displaced credential is held for consumers (recorded in the run history)',
    )
    .action(async (policyId: string, options: RotateOptions) => {
      const { config, policy, timeoutMs } = await policyRequest(options.config, policyId, options.timeout);
      const queue = await openCommandQueue(config, options.wait === true);
      const { infra } = queue;
      try {
        const held = await heldRefusal(infra.consumers, policy);
        if (held && !options.force) throw new CommandFailure(`${held} (--force)`, 4);
        const requested = await requestRotation(infra.queue, policy, 'manual', {
          nowMs: Date.now(),
          requestedBy: cliRequester(),
          ...(options.reason === undefined ? {} : { reason: options.reason }),
          ...(options.force ? { force: true } : {}),
          ...(held ? { forcedPastHold: true } : {}),
        });
        const { deferral } = requested;
        process.stdout.write(
          `${policy.id}: rotation ${requested.jobId} ${requested.joined ? 'already pending or running; joined it' : 'requested'}${deferral ? `; ${deferralText(deferral)} (--force rotates now)` : ''}\n`,
        );
        if (!queue.waits) return;
        if (deferral && deferral.startsAt - Date.now() > timeoutMs)
          throw new CommandFailure(
            `${policy.id}: not waited for: the rotation starts after --timeout (${options.timeout})`,
            3,
          );
        const result = (await queue.finished(
          requested.jobId,
          timeoutMs,
          `${policy.id}: rotation failed`,
        )) as { versionId?: string };
        process.stdout.write(`${policy.id}: rotated; AWS version ${result.versionId ?? 'unknown'}\n`);
      } finally {
        await queue.close();
      }
    });
}
