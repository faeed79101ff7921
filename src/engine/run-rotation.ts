import type { PolicyConfig } from '../config/rotor-config.js';
import { isRotationError, RotationError, type Step } from '../domain/errors.js';
import { fingerprint, isRunOfPolicy, versionIdFor } from '../domain/ids.js';
import type {
  CredentialRef,
  InFlight,
  PolicyRecord,
  RunAudit,
  RunStep,
  Trigger,
} from '../domain/policy-record.js';
import { Secret } from '../domain/secret.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { logUnexpected } from '../lib/unexpected-error.js';
import type { Issued, ProviderAction, StepContext } from '../providers/provider.js';
import type { SecretSink, SinkTarget, StoredVersion } from '../sinks/sink.js';
import { decodeCredential, encodeCredential, provenanceOf } from './credential-codec.js';
import { fromJournalPayload, type IssuedCredential, toJournalPayload } from './journal-payload.js';
import type {
  ConnectionHttp,
  RecordRebuilder,
  RecordStore,
  ReplicaAcknowledgement,
  StepObserver,
  UpdateOptions,
} from './ports.js';
import { credentialRefOf } from './rebuild-record.js';
import { verifyCredential } from './verify-credential.js';

export interface RotationDeps {
  readonly sink: SecretSink;
  /** The policies' records, with the journal slots and run history their checkpoints write. */
  readonly records: RecordStore;
  readonly http: ConnectionHttp;
  readonly clock: Clock;
  readonly log: Logger;
  readonly observe?: StepObserver;
  /** Rebuilds a record Redis lost from AWS before the run decides anything on it. */
  readonly rebuild?: RecordRebuilder;
  /** Absent: no replica is waited for. */
  readonly replicas?: ReplicaAcknowledgement;
}

export interface RotationRequest {
  readonly policy: PolicyConfig;
  readonly runId: string;
  readonly trigger: Trigger;
  readonly signal: AbortSignal;
  /**
   * The job running this request: the run's fencing token. While another job that still holds its lock owns
   * the policy's in-flight run, this run's writes are refused (`busy`), so it never issues or promotes.
   */
  readonly owner?: string;
  /**
   * The token `owner`'s job lock holds while this worker owns the job. The run's start (the checkpoint right
   * before issuing) is written only while the lock still holds it: a worker whose run was taken over (it
   * stalled past its lock) must not issue a second credential for it.
   */
  readonly lockToken?: string;
  /** Who asked for the run and why, kept with its history entry. */
  readonly audit?: RunAudit;
}

/** A displaced credential to revoke once its grace period is over. */
export interface DueRevoke {
  readonly handle: string;
  readonly versionId: string;
  readonly dueAt: number;
}

export interface RotationResult {
  /** The run that completed: the requested one, or an unfinished earlier run this one finished. */
  readonly runId: string;
  readonly versionId: string;
  readonly expiresAt: number | undefined;
  /** For overlap actions: the displaced credential, to revoke once the grace period is over. */
  readonly revoke: DueRevoke | undefined;
  /**
   * The credential the policy's last rollback took out of use, when this run is the first rotation after it:
   * its revoke is made sure of here too (the rollback's own job may have died before scheduling it).
   */
  readonly rollbackRevoke?: DueRevoke | undefined;
  /** Why the finished run started: a job that finished another job's unfinished run may see `rollback`. */
  readonly trigger: Trigger;
  /** True when the run had already committed (a re-delivered job): nothing was done. */
  readonly alreadyDone: boolean;
  /** The AWS secret's ARN, when this attempt looked the secret up. */
  readonly secretArn?: string | undefined;
}

/** What a checkpoint writes beside the record, in the same step. */
type CarriedWrites = Pick<UpdateOptions, 'journal' | 'history' | 'lockToken'>;

const stepOrder: readonly RunStep[] = ['issuing', 'journaled', 'staged', 'verified', 'promoted'];
const reached = (inFlight: InFlight | undefined, step: RunStep): boolean =>
  inFlight !== undefined && stepOrder.indexOf(inFlight.step) >= stepOrder.indexOf(step);

/**
 * Runs one rotation of one policy as the design's durable state machine:
 * issue → journal → stage → verify → promote → commit (→ revoke, by the caller, after the grace period).
 * Each step is checkpointed in the policy's record, so a retried or re-delivered job resumes where the last
 * attempt stopped and never issues twice for one checkpoint. Failures are RotationErrors naming the
 * policy and the step.
 */
export async function runRotation(deps: RotationDeps, request: RotationRequest): Promise<RotationResult> {
  const { policy } = request;
  const action = policy.connection.provider.actions[policy.action];
  if (!action) {
    throw new RotationError(
      'invalid-config',
      `policy ${policy.id}: provider has no action "${policy.action}"`,
      {
        policyId: policy.id,
      },
    );
  }
  return new RotationRun(deps, request, action).run();
}

class RotationRun {
  readonly #deps: RotationDeps;
  readonly #request: RotationRequest;
  readonly #action: ProviderAction<unknown, unknown, unknown>;
  readonly #policy: PolicyConfig;
  readonly #target: SinkTarget;
  readonly #log: Logger;
  readonly #steps: string[] = [];
  #runId: string;
  #step: Step = 'issue';
  #secretArn: string | undefined;
  /** The record as this run last read or wrote it: each checkpoint is one compare-and-set, no read. */
  #record: PolicyRecord | undefined;
  /** Whether this attempt's first write (which also stamps `lastAttemptAt`) happened. */
  #attemptStamped = false;
  /** AWSCURRENT as this attempt's first AWS read saw it (null: none); undefined until read. */
  #currentSeen: string | null | undefined;
  /** AWSCURRENT's value, when this attempt's first AWS read was of it. */
  #currentRead: { readonly stored: StoredVersion | undefined } | undefined;

  constructor(
    deps: RotationDeps,
    request: RotationRequest,
    action: ProviderAction<unknown, unknown, unknown>,
  ) {
    this.#deps = deps;
    this.#request = request;
    this.#action = action;
    this.#policy = request.policy;
    this.#runId = request.runId;
    this.#target = {
      secretId: request.policy.secret.id,
      policyId: request.policy.id,
      adopt: request.policy.secret.adopt,
    };
    this.#log = deps.log.child({
      policyId: request.policy.id,
      provider: request.policy.connection.provider.id,
    });
  }

  async run(): Promise<RotationResult> {
    const startedAt = this.#deps.clock.now();
    try {
      return await this.#run(startedAt);
    } catch (error) {
      if (isRotationError(error)) throw error.within({ policyId: this.#policy.id, step: this.#step });
      logUnexpected(
        this.#log,
        error,
        { runId: this.#runId, step: this.#step },
        'unexpected failure in a rotation step',
      );
      throw new RotationError(
        'protocol',
        `policy ${this.#policy.id}, step ${this.#step}: unexpected failure`,
        {
          policyId: this.#policy.id,
          step: this.#step,
        },
      );
    }
  }

  async #run(startedAt: number): Promise<RotationResult> {
    // The record and the journal slot in one read; the slot's entry, or its corruption, only counts if the run
    // is not already committed.
    const { record: read, journaled: journalSlot } = await this.#deps.records.getRun(this.#policy.id);
    const record =
      read.revision === 0 && this.#deps.rebuild
        ? (await this.#deps.rebuild(this.#policy, this.#request.signal)).record
        : read;
    this.#record = record;
    if (record.current?.runId === this.#request.runId && record.inFlight === undefined) {
      // A re-delivered job of a committed run: hand back its revoke again (the revoke job id is stable).
      const committedAt = record.lastSuccessAt ?? this.#deps.clock.now();
      return this.#result(record.current, this.#revokeOf(record.previous, record.current, committedAt), {
        alreadyDone: true,
        trigger: this.#request.trigger,
      });
    }
    const journaled = journalSlot();
    // An unfinished earlier run is finished first, under its own run id, so its version ids stay stable.
    this.#runId = journaled?.runId ?? record.inFlight?.runId ?? this.#request.runId;
    const displaced = record.current;

    let issued: IssuedCredential | undefined;
    let inFlight = record.inFlight;
    if (inFlight !== undefined && inFlight.owner !== this.#request.owner) {
      // Another job's unfinished run: claimed before anything is done for it. The claim is refused while that
      // job still holds its lock, so two jobs never verify or promote one run.
      inFlight = await this.#checkpoint(this.#owned(inFlight));
    }
    if (!reached(inFlight, 'staged')) {
      await this.#prepareSink();
      if (journaled) {
        issued = fromJournalPayload(journaled.credential, this.#policy.id);
        inFlight = await this.#checkpoint({
          ...this.#newInFlight(journaled.issueAttempt),
          ...facts(issued),
          step: 'journaled',
        });
        await this.#requireReplicated('journal');
      } else {
        ({ issued, inFlight } = await this.#issue(record));
      }
      inFlight = await this.#stage(issued, inFlight);
    }
    const staged = requireStaged(inFlight, this.#policy.id);
    const versionId = staged.versionId;

    // Verify and promote are not checkpointed: both are safe to repeat, so a run that stopped after either
    // verifies again and promotes again (nothing to do for a version already current), then commits.
    // ('verified' and 'promoted' stay readable for records written before.)
    if (!reached(staged, 'verified')) {
      this.#step = 'verify';
      await this.#verify(issued, staged, versionId);
    }
    if (!reached(staged, 'promoted')) {
      this.#step = 'promote';
      // Records written before runs kept their base view promote from the record's current version.
      const base =
        staged.baseVersionId === undefined ? displaced?.versionId : (staged.baseVersionId ?? undefined);
      let promoted = await this.#deps.sink.promote(this.#target, versionId, base, this.#request.signal);
      if (promoted.kind === 'superseded' && (await this.#isOwnEarlierAttempt(promoted.currentVersionId))) {
        promoted = await this.#deps.sink.promote(
          this.#target,
          versionId,
          promoted.currentVersionId,
          this.#request.signal,
        );
      }
      if (promoted.kind === 'superseded') await this.#abandon(versionId, base, promoted.currentVersionId);
      this.#done('promote', versionId);
    }

    this.#step = 'commit';
    const displacedAtAws = await this.#displacedOf(displaced, staged.baseVersionId);
    const committedAt = this.#deps.clock.now();
    const { committed, supersededRollback } = await this.#commit(
      staged,
      versionId,
      startedAt,
      committedAt,
      displacedAtAws,
    );
    const revoke = this.#revokeOf(displacedAtAws, committed, committedAt);
    return this.#result(committed, revoke, {
      alreadyDone: false,
      trigger: staged.trigger,
      ...(supersededRollback && this.#action.capability === 'overlap'
        ? {
            rollbackRevoke: {
              handle: supersededRollback.handle,
              versionId: supersededRollback.versionId,
              dueAt: supersededRollback.at + this.#policy.gracePeriodMs,
            },
          }
        : {}),
    });
  }

  /**
   * The run's one AWS read before it issues: AWSCURRENT's value (GetSecretValue) when the action reads the
   * current credential, otherwise the secret's description (DescribeSecret). Either gives the version the
   * promote's compare-and-set starts from. Whether rotor may write the secret is the description's tags
   * (and no AWS rotation on it); a current value this policy wrote (its provenance names one of the
   * policy's runs) settles it without one, so a description is read after a value only when that value is
   * not this policy's: a first rotation, an adopted secret, a hand edit.
   */
  async #prepareSink(): Promise<void> {
    this.#step = this.#action.capability === 'extend' ? 'issue' : 'stage';
    if (this.#action.readsCurrent) {
      const current = await this.#deps.sink.read(this.#target, 'current', this.#request.signal);
      this.#currentRead = { stored: current };
      const provenance = current && provenanceOf(current.value);
      if (current !== undefined && provenance && isRunOfPolicy(this.#policy.id, provenance.runId)) {
        this.#secretArn = current.arn;
        this.#currentSeen = current.versionId;
        return;
      }
    }
    if (this.#action.capability === 'extend') {
      const state = await this.#deps.sink.inspect(this.#target, this.#request.signal);
      this.#secretArn = state?.arn;
      if (state?.currentVersionId === undefined) {
        throw new RotationError(
          'invalid-config',
          `action ${this.#policy.action} extends an existing credential, but secret ${this.#target.secretId} has no current version to extend`,
        );
      }
      this.#currentSeen = state.currentVersionId;
      return;
    }
    const state = await this.#deps.sink.ensure(this.#target, this.#request.signal);
    this.#secretArn = state.arn;
    this.#currentSeen = state.currentVersionId ?? null;
  }

  /**
   * Whether AWSCURRENT, which is not the version this run started from, was written by this very run: an
   * earlier attempt promoted it and Redis lost that (a failover to a replica that missed the writes). Then
   * this attempt's version, the run's newest credential, is promoted over it. One read, only on a refusal.
   */
  async #isOwnEarlierAttempt(currentVersionId: string | undefined): Promise<boolean> {
    if (currentVersionId === undefined) return false;
    const stored = await this.#deps.sink.read(
      this.#target,
      { versionId: currentVersionId },
      this.#request.signal,
    );
    if (stored === undefined || provenanceOf(stored.value)?.runId !== this.#runId) return false;
    this.#log.warn(
      { runId: this.#runId, currentVersionId },
      'AWSCURRENT holds an earlier attempt of this run, which Redis no longer knew of (a failover to a replica that missed the last writes): promoting this attempt over it',
    );
    return true;
  }

  /**
   * AWS refused the promote: AWSCURRENT is no longer the version this run started from. The run is dropped
   * (the next one starts from what AWS holds now), nothing is revoked, and the failure says why.
   */
  async #abandon(versionId: string, base: string | undefined, current: string | undefined): Promise<never> {
    await this.#update((record) => {
      if (record.inFlight?.runId !== this.#runId) return record;
      const { inFlight: _dropped, ...rest } = record;
      return rest;
    });
    this.#log.error(
      { runId: this.#runId, versionId, expectedCurrent: base ?? null, currentVersionId: current ?? null },
      'promote refused by AWS: the secret moved on since this run started; the run stops and revokes nothing',
    );
    throw new RotationError(
      'protocol',
      `secret ${this.#target.secretId}: version ${versionId} was not promoted because AWSCURRENT is ${current ?? 'on no version'}, not ${base ?? 'on no version'} as when this run started (another rotation, a rollback or a hand edit came first); the run stops and revokes nothing`,
    );
  }

  async #issue(record: PolicyRecord): Promise<{ issued: IssuedCredential; inFlight: InFlight }> {
    this.#step = 'issue';
    const previous = record.inFlight;
    if (previous?.step === 'issuing') {
      this.#log.warn(
        { runId: this.#runId, issueAttempt: previous.issueAttempt },
        'an earlier issue attempt of this run did not reach the journal; issuing again',
      );
    }
    const attempt = (previous?.issueAttempt ?? 0) + 1;
    // Refused, with nothing issued, once this worker's job lock is gone (another worker may own the run).
    await this.#checkpoint(
      { ...this.#newInFlight(attempt), step: 'issuing' },
      this.#request.lockToken === undefined ? {} : { lockToken: this.#request.lockToken },
    );
    await this.#requireReplicated('issuing');
    const provider = this.#policy.connection.provider;
    const earlierAttemptMayHaveIssued = previous?.step === 'issuing' && previous.runId === this.#runId;
    const result =
      (earlierAttemptMayHaveIssued ? await this.#madeByThisRun() : undefined) ??
      (await this.#action.issue(
        {
          connection: this.#policy.connection.settings,
          target: this.#policy.target,
          current: this.#action.readsCurrent ? await this.#currentCredential() : undefined,
          gracePeriodMs: this.#policy.gracePeriodMs,
        },
        this.#context(),
      ));
    const parsed = provider.schemas.credential.safeParse(result.credential.reveal());
    if (!parsed.success) {
      throw new RotationError(
        'protocol',
        `provider ${provider.id} issued a credential that does not match its own schema`,
      );
    }
    const credential = parsed.data;
    const issued: IssuedCredential = {
      // Checked just above: staging (which holds its secrets) and verify take it from here, not from a decode.
      document: encodeCredential(Secret.of(credential), { runId: this.#runId }, provider.schemas.credential),
      handle: result.handle,
      expiresAt: result.expiresAt?.getTime() ?? provider.expiresAt(credential)?.getTime(),
    };
    this.#done('issue');
    this.#step = 'journal';
    // The credential and the checkpoint that names it are one write.
    const inFlight = await this.#checkpoint(
      { ...this.#newInFlight(attempt), ...facts(issued), step: 'journaled' },
      {
        journal: {
          put: { runId: this.#runId, issueAttempt: attempt, credential: toJournalPayload(issued) },
        },
      },
    );
    await this.#requireReplicated('journal');
    this.#done('journal');
    return { issued, inFlight };
  }

  /**
   * What an earlier attempt of this run made but never handed over (its answer was lost, or the daemon died
   * before the journal), as the vendor lists it under this run: adopted, so a retried issue leaves no live
   * orphan. Only providers that can list what rotor made can find it; the others issue again.
   */
  async #madeByThisRun(): Promise<Issued<unknown> | undefined> {
    const provider = this.#policy.connection.provider;
    if (!provider.listIssued) return undefined;
    const listed = await provider.listIssued(
      { connection: this.#policy.connection.settings, target: this.#policy.target },
      this.#context(),
    );
    const now = this.#deps.clock.now();
    const [adopted, ...others] = listed.filter((made) => {
      if (made.runId !== this.#runId) return false;
      const expiresAt = provider.expiresAt(made.credential.reveal());
      return expiresAt === undefined || expiresAt.getTime() > now;
    });
    if (!adopted) return undefined;
    this.#log.warn(
      { runId: this.#runId, handle: adopted.handle, othersOfThisRun: others.map((made) => made.handle) },
      'an earlier attempt of this run issued a credential that never reached the journal; using it',
    );
    return { credential: adopted.credential, handle: adopted.handle };
  }

  async #stage(issued: IssuedCredential, inFlight: InFlight): Promise<InFlight> {
    this.#step = 'stage';
    const versionId = versionIdFor(this.#runId, inFlight.issueAttempt);
    await this.#deps.sink.stage(this.#target, versionId, issued.document, this.#request.signal);
    // The checkpoint and the journal entry's removal are one write: AWS holds the credential now.
    const staged = await this.#checkpoint(
      { ...inFlight, versionId, step: 'staged' },
      { journal: { clearRun: this.#runId } },
    );
    this.#done('stage', versionId);
    return staged;
  }

  async #verify(issued: IssuedCredential | undefined, inFlight: InFlight, versionId: string): Promise<void> {
    const provider = this.#policy.connection.provider;
    if (!provider.verify) {
      this.#done('verify', versionId, 'the provider offers no verification');
      return;
    }
    const document =
      issued?.document ??
      (await this.#deps.sink.read(this.#target, { versionId }, this.#request.signal))?.value;
    if (!document) {
      throw new RotationError(
        'not-found',
        `staged version ${versionId} of secret ${this.#target.secretId} is gone`,
      );
    }
    const credential = decodeCredential(document, provider.schemas.credential, {
      policyId: this.#policy.id,
      secretId: this.#target.secretId,
      version: 'staged',
    });
    const note = await verifyCredential(this.#policy, credential, inFlight.handle ?? '', this.#context());
    if (note) this.#log.warn({ runId: this.#runId }, `verify: ${note}`);
    this.#done('verify', versionId, note);
  }

  /**
   * The credential this run displaced: the record's current one, unless the version AWS showed the run as
   * current is another — the record is older than AWS (a failover to a lagging replica, a restored backup,
   * a hand edit) — then that version's, read back from AWS (one read, only then). Undefined when it holds
   * no credential of the provider: nothing is revoked on a guess.
   */
  async #displacedOf(
    recorded: CredentialRef | undefined,
    base: string | null | undefined,
  ): Promise<CredentialRef | undefined> {
    if (recorded === undefined || typeof base !== 'string' || base === recorded.versionId) return recorded;
    const stored = await this.#deps.sink.read(this.#target, { versionId: base }, this.#request.signal);
    const atAws = stored && credentialRefOf(this.#policy, stored);
    this.#log.warn(
      {
        runId: this.#runId,
        recordedVersionId: recorded.versionId,
        awsVersionId: base,
        known: atAws !== undefined,
      },
      'the policy record was older than AWS: the run displaced AWSCURRENT as AWS had it, not the recorded one',
    );
    return atAws;
  }

  async #commit(
    inFlight: InFlight,
    versionId: string,
    startedAt: number,
    now: number,
    displaced: CredentialRef | undefined,
  ): Promise<{ committed: CredentialRef; supersededRollback: PolicyRecord['rolledBack'] }> {
    const committed: CredentialRef = {
      runId: this.#runId,
      handle: inFlight.handle ?? '',
      versionId,
      ...(inFlight.fingerprint === undefined ? {} : { fingerprint: inFlight.fingerprint }),
      ...(inFlight.expiresAt === undefined ? {} : { expiresAt: inFlight.expiresAt }),
    };
    // The run's history entry is part of the commit's write.
    const history = {
      runId: this.#runId,
      trigger: inFlight.trigger,
      startedAt,
      finishedAt: now,
      durationMs: now - startedAt,
      outcome: 'succeeded' as const,
      steps: [...this.#steps, 'commit'],
      versionId,
      ...this.#request.audit,
    };
    let supersededRollback: PolicyRecord['rolledBack'];
    await this.#update(
      (record) => {
        const {
          inFlight: _finished,
          lastError: _cleared,
          needsAttentionSince: _resolved,
          rolledBack: superseded,
          ...rest
        } = record;
        // A rollback marks the version it displaced; any other run supersedes the mark.
        const isRollback = inFlight.trigger === 'rollback';
        supersededRollback = isRollback ? undefined : superseded;
        const rolledBack =
          isRollback && displaced !== undefined
            ? {
                rolledBack: {
                  versionId: displaced.versionId,
                  handle: displaced.handle,
                  runId: this.#runId,
                  at: now,
                },
              }
            : {};
        return {
          ...rest,
          ...(displaced === undefined ? {} : { previous: displaced }),
          current: committed,
          lastSuccessAt: now,
          consecutiveFailures: 0,
          ...rolledBack,
        };
      },
      { history },
    );
    // AWS already holds what the commit records: a commit a failover loses is rebuilt from AWS, so the run
    // goes on either way (the wait only makes that rebuild rare).
    await this.#deps.replicas?.acknowledged('commit');
    this.#done('commit', versionId);
    this.#log.info(
      {
        runId: this.#runId,
        trigger: inFlight.trigger,
        versionId,
        durationMs: now - startedAt,
        steps: this.#steps,
      },
      'rotation succeeded',
    );
    return { committed, supersededRollback };
  }

  /** The displaced credential of an overlap action, due for revocation one grace period after the commit. */
  #revokeOf(
    displaced: CredentialRef | undefined,
    committed: CredentialRef,
    committedAt: number,
  ): RotationResult['revoke'] {
    if (this.#action.capability !== 'overlap' || !displaced || displaced.handle === committed.handle)
      return undefined;
    return {
      handle: displaced.handle,
      versionId: displaced.versionId,
      dueAt: committedAt + this.#policy.gracePeriodMs,
    };
  }

  /**
   * The credential current in the sink, as this attempt's first read saw it (read now if it did not read it).
   * Only an extend action insists on a readable one.
   */
  async #currentCredential(): Promise<Secret<unknown> | undefined> {
    const stored = this.#currentRead
      ? this.#currentRead.stored
      : await this.#deps.sink.read(this.#target, 'current', this.#request.signal);
    if (!stored) return undefined;
    try {
      return decodeCredential(stored.value, this.#policy.connection.provider.schemas.credential, {
        policyId: this.#policy.id,
        secretId: this.#target.secretId,
        version: 'current',
      });
    } catch (error) {
      if (this.#action.capability === 'extend') throw error;
      this.#log.warn(
        { runId: this.#runId },
        'the current secret value is not a credential of this provider; issuing without it',
      );
      return undefined;
    }
  }

  #newInFlight(issueAttempt: number): InFlight {
    // A resumed run keeps the view of AWS its first attempt had; a new one takes this attempt's.
    const earlier = this.#record?.inFlight?.runId === this.#runId ? this.#record.inFlight : undefined;
    const baseVersionId = earlier?.baseVersionId !== undefined ? earlier.baseVersionId : this.#currentSeen;
    return this.#owned({
      runId: this.#runId,
      trigger: this.#request.trigger,
      issueAttempt,
      step: 'issuing',
      startedAt: this.#deps.clock.now(),
      ...(baseVersionId === undefined ? {} : { baseVersionId }),
    });
  }

  #owned(inFlight: InFlight): InFlight {
    const { owner: _previous, ...rest } = inFlight;
    return this.#request.owner === undefined ? rest : { ...rest, owner: this.#request.owner };
  }

  /**
   * Stops the run while no Redis replica holds its writes so far. Before issuing, a start a failover would
   * lose costs a duplicate at the vendor; after the journal, a credential that only the vendor and a master
   * that then dies hold is a credential lost. Stopping costs nothing but time: the retry finds the journal
   * entry (or the start) on this master, and goes on once a replica acknowledges it.
   */
  async #requireReplicated(what: 'issuing' | 'journal'): Promise<void> {
    if (!this.#deps.replicas || (await this.#deps.replicas.acknowledged(what))) return;
    throw new RotationError(
      'transient',
      what === 'issuing'
        ? 'no Redis replica acknowledged the start of this run; nothing is issued until one does'
        : 'no Redis replica holds the journal entry of the credential just issued; it is not staged until one does',
    );
  }

  /**
   * Writes the run's checkpoint over the in-flight run this attempt last saw, and only over it: when that run
   * ended or changed hands meanwhile (committed by the job that owned it just before it lost its lock), the
   * attempt stops as `busy` and its job starts again from the record as it is, instead of writing a finished
   * run back.
   */
  async #checkpoint<T extends InFlight>(inFlight: T, carried: CarriedWrites = {}): Promise<T> {
    const seen = this.#record?.inFlight?.runId;
    await this.#update((record) => {
      if (record.inFlight?.runId !== seen) {
        throw new RotationError(
          'busy',
          `policy ${this.#policy.id}: the record's run in flight changed under this job (run ${seen ?? 'none'} is now ${record.inFlight?.runId ?? 'none'}); it starts again from the record`,
          { policyId: this.#policy.id },
        );
      }
      return { ...record, inFlight };
    }, carried);
    return inFlight;
  }

  /**
   * Every write of the attempt goes through here, each one compare-and-set fenced by the run's owner, with what
   * it carries (the journal slot, the history entry, the lock check) in the same atomic step; the first also
   * stamps `lastAttemptAt` (no write of its own).
   */
  async #update(
    change: (record: PolicyRecord) => PolicyRecord,
    carried: CarriedWrites = {},
  ): Promise<PolicyRecord> {
    const stamp = this.#attemptStamped ? undefined : this.#deps.clock.now();
    const stamped =
      stamp === undefined ? change : (record: PolicyRecord) => ({ ...change(record), lastAttemptAt: stamp });
    this.#record = await this.#deps.records.update(this.#policy.id, stamped, {
      ...carried,
      ...(this.#record === undefined ? {} : { known: this.#record }),
      ...(this.#request.owner === undefined ? {} : { owner: this.#request.owner }),
    });
    this.#attemptStamped = true;
    return this.#record;
  }

  #context(): StepContext {
    const bindings = { runId: this.#runId, step: this.#step };
    const runLog = this.#log;
    let stepLog: Logger | undefined;
    return {
      http: this.#deps.http(this.#policy.connection),
      // Made on first use: most steps log nothing, and each child logger costs tens of microseconds.
      get log() {
        stepLog ??= runLog.child(bindings);
        return stepLog;
      },
      signal: this.#request.signal,
      clock: this.#deps.clock,
      policyId: this.#policy.id,
      runId: this.#runId,
    };
  }

  #done(step: string, versionId?: string, note?: string): void {
    this.#steps.push(step);
    // One info line per rotation (at commit); the steps are for debugging.
    this.#log.debug({ runId: this.#runId, step, versionId }, `step ${step} done`);
    this.#deps.observe?.({
      policyId: this.#policy.id,
      runId: this.#runId,
      step,
      ...(versionId === undefined ? {} : { versionId }),
      ...(note === undefined ? {} : { note }),
    });
  }

  #result(
    current: CredentialRef,
    revoke: DueRevoke | undefined,
    outcome: Pick<RotationResult, 'alreadyDone' | 'trigger' | 'rollbackRevoke'>,
  ): RotationResult {
    return {
      runId: current.runId,
      versionId: current.versionId,
      expiresAt: current.expiresAt,
      revoke,
      ...outcome,
      secretArn: this.#secretArn,
    };
  }
}

function facts(issued: IssuedCredential): Pick<InFlight, 'handle' | 'fingerprint' | 'expiresAt'> {
  return {
    handle: issued.handle,
    fingerprint: fingerprint(issued.document.reveal()),
    ...(issued.expiresAt === undefined ? {} : { expiresAt: issued.expiresAt }),
  };
}

function requireStaged(inFlight: InFlight | undefined, policyId: string): InFlight & { versionId: string } {
  if (inFlight?.versionId === undefined) {
    throw new RotationError('protocol', `policy ${policyId}: the run's record has no staged version id`, {
      policyId,
    });
  }
  return { ...inFlight, versionId: inFlight.versionId };
}
