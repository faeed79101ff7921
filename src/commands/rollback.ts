import type { Command } from 'commander';
import type { RollbackJobResult } from '../queue/jobs/rollback-job.js';
import { requestRollback } from '../queue/rollback-requests.js';
import { cliRequester } from './cli-requester.js';
import { openCommandQueue } from './command-queue.js';
import { CommandFailure } from './load-config-for-command.js';
import { policyRequest } from './policy-request.js';

interface RollbackOptions {
  readonly config: string;
  readonly wait?: boolean;
  readonly timeout: string;
  readonly reason?: string;
  readonly revokeNow?: boolean;
}

/** `rotor rollback POLICY`: asks the daemon to put the previous credential back; `--wait` reports the outcome. */
export function register(program: Command): void {
  program
    .command('rollback')
    .description(
      'put the previous credential back as AWSCURRENT (the running daemon checks it is still live at the vendor first); exit 4, nothing requested, when a rollback cannot be safe',
    )
    .argument('<policy>', 'policy id')
    .requiredOption('--config <file>', 'rotor config file (YAML)')
    .option('--wait', 'wait for the outcome; exit 0 when rolled back, 1 when refused or failed')
    .option('--timeout <duration>', 'how long --wait waits', '60s')
    .option('--reason <text>', 'why (kept in the run history, for audit)')
    .option('--revoke-now', 'revoke the rolled-back credential at once instead of after the grace period')
    .action(async (policyId: string, options: RollbackOptions) => {
      const { config, policy, timeoutMs } = await policyRequest(options.config, policyId, options.timeout);
      const queue = await openCommandQueue(config, options.wait === true);
      const { infra } = queue;
      try {
        const requested = await requestRollback(infra.queue, policy, await infra.records.get(policy.id), {
          nowMs: Date.now(),
          requestedBy: cliRequester(),
          ...(options.reason === undefined ? {} : { reason: options.reason }),
          ...(options.revokeNow ? { revokeNow: true } : {}),
        });
        if (requested.kind === 'refused')
          throw new CommandFailure(`rollback refused: ${requested.reason}`, 4);
        process.stdout.write(
          `${policy.id}: rollback ${requested.jobId} ${requested.joined ? 'already pending; joined it' : 'requested'}: version ${requested.toVersionId} back in place of ${requested.fromVersionId}\n`,
        );
        if (!queue.waits) return;
        const result = (await queue.finished(
          requested.jobId,
          timeoutMs,
          policy.id,
        )) as Partial<RollbackJobResult>;
        const revokeAt =
          result.revokeAt === undefined
            ? ''
            : `; version ${result.rolledBackVersionId} is revoked at ${new Date(result.revokeAt).toISOString()}`;
        process.stdout.write(
          `${policy.id}: rolled back; AWSCURRENT is version ${result.versionId}${revokeAt}\n`,
        );
      } finally {
        await queue.close();
      }
    });
}
