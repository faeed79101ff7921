import type { z } from 'zod';
import type { Secret } from '../domain/secret.js';
import type { Resolved } from '../domain/secret-reference.js';
import type { Clock } from '../lib/clock.js';
import type { HttpClientFactory } from '../lib/http-client.js';
import type { Logger } from '../lib/logger.js';
import type { RateLimit } from '../rate-limit/rate-limit.js';

/**
 * How an action's new credential relates to the one it displaces; the engine chooses its path by this,
 * never by provider name.
 * - overlap: old and new both work until rotor revokes the old one after the grace period
 * - native-grace: the provider expires the old secret itself at a time rotor passes in
 * - extend: no new secret; the same credential gets a later expiry
 */
export type Capability = 'overlap' | 'native-grace' | 'extend';

/** Everything a step may use. Built per step; providers hold no state of their own. */
export interface StepContext {
  readonly http: HttpClientFactory;
  readonly log: Logger;
  /** Pass to every request: it ends when the job is cancelled or the daemon stops. */
  readonly signal: AbortSignal;
  readonly clock: Clock;
  readonly policyId: string;
  readonly runId: string;
}

export interface PolicyInput<Conn, Target> {
  /** The connection with its secret references resolved. */
  readonly connection: Conn;
  readonly target: Target;
}

export interface IssueInput<Conn, Target, Cred> extends PolicyInput<Conn, Target> {
  /** The credential in the sink's current version, when there is one and the action `readsCurrent`. */
  readonly current: Secret<Cred> | undefined;
  /** For native-grace: how long the displaced secret must keep working after issue. */
  readonly gracePeriodMs: number;
}

export interface Issued<Cred> {
  readonly credential: Secret<Cred>;
  /** Non-secret id of what was issued (token id, or a fingerprint where the token is its own id). */
  readonly handle: string;
  readonly expiresAt?: Date;
}

export interface VerifyInput<Conn, Target, Cred, Verify> extends PolicyInput<Conn, Target> {
  readonly credential: Secret<Cred>;
  readonly handle: string;
  /** The policy's `verify` settings, parsed by the provider's `verifySettings` schema. */
  readonly settings: Verify | undefined;
}

export type VerifyOutcome =
  /** The credential was used against the vendor or a protected endpoint and accepted. */
  | { readonly kind: 'end-to-end' }
  /** Only the credential's metadata could be checked; `reason` says why end-to-end was not possible. */
  | { readonly kind: 'metadata'; readonly reason: string };

export interface RevokeInput<Conn, Target, Cred> extends PolicyInput<Conn, Target> {
  readonly handle: string;
  /** The displaced credential, read back from the sink, for providers whose token is its own id. */
  readonly credential: Secret<Cred> | undefined;
}

export interface ProviderAction<Conn, Target, Cred, Cap extends Capability = Capability> {
  readonly capability: Cap;
  /** One line for docs and `rotor plan`. */
  readonly summary: string;
  /** Whether `issue` uses `input.current`; when false, rotor does not read the current secret for it. */
  readonly readsCurrent: boolean;
  /** Problems that make this action impossible for this connection/target, as messages; empty if none. */
  check?(connection: Conn, target: Target): string[];
  issue(input: IssueInput<Conn, Target, Cred>, ctx: StepContext): Promise<Issued<Cred>>;
}

/** A credential rotor made that the vendor still holds, as listed for the orphan sweep. */
export interface ListedCredential<Cred> {
  /** The same non-secret handle `issue` returned for it. */
  readonly handle: string;
  /** The run that made it (from the name or tags rotor gave it). */
  readonly runId: string;
  readonly credential: Secret<Cred>;
}

/** A policy of the demo config, as a provider's demo sees it. */
export interface DemoPolicy<Target> {
  readonly id: string;
  readonly target: Target;
}

/** A provider's emulator started for `rotor demo`. */
export interface DemoEmulator<Cred> {
  /** One line: what runs where. */
  readonly description: string;
  /** The credential the policy's target held before rotor ran, as an operator would have stored it. */
  credentialOf(policyId: string): Cred;
  close(): Promise<void>;
}

/**
 * One vendor. `ConnConfig` is the connection as written in config (secret references unresolved);
 * steps receive it resolved. Providers are frozen data plus functions. Two rules hold by type: a provider
 * that `canList` has `listIssued` (and only such a one), and one with an `overlap` action has `revoke`.
 */
export type Provider<ConnConfig, Target, Cred, Verify = never> = Core<ConnConfig, Target, Cred, Verify> &
  Listing<ConnConfig, Target, Cred> &
  Revoking<ConnConfig, Target, Cred>;

type Actions<ConnConfig, Target, Cred, Cap extends Capability> = Readonly<
  Record<string, ProviderAction<Resolved<ConnConfig>, Target, Cred, Cap>>
>;

/**
 * `canList`: the provider can list what rotor issued. Then, and only then, it has `listIssued`, and the
 * orphan sweep runs for its policies.
 */
type Listing<ConnConfig, Target, Cred> =
  | {
      readonly canList: true;
      /**
       * The credentials rotor made for this policy (known by their names or tags) that the vendor holds. The
       * orphan sweep deletes the unheld ones; a run whose earlier attempt's answer was lost adopts its own.
       */
      listIssued(
        input: PolicyInput<Resolved<ConnConfig>, Target>,
        ctx: StepContext,
      ): Promise<readonly ListedCredential<Cred>[]>;
    }
  | { readonly canList: false; readonly listIssued?: never };

/**
 * An `overlap` action leaves the displaced credential working until rotor revokes it: a provider with one has
 * `revoke`.
 */
type Revoking<ConnConfig, Target, Cred> =
  | {
      readonly actions: Actions<ConnConfig, Target, Cred, Capability>;
      /**
       * Idempotent: a credential the vendor no longer knows resolves to 'already-gone'. A RotationError of
       * kind 'not-found' from here is read the same way, so it must only ever mean "this credential is
       * gone" — never a wrong URL or a missing parent resource.
       */
      revoke(
        input: RevokeInput<Resolved<ConnConfig>, Target, Cred>,
        ctx: StepContext,
      ): Promise<'revoked' | 'already-gone'>;
    }
  | {
      readonly actions: Actions<ConnConfig, Target, Cred, Exclude<Capability, 'overlap'>>;
      readonly revoke?: never;
    };

/** Everything of a provider but its actions and the steps the rules above tie to them. */
interface Core<ConnConfig, Target, Cred, Verify> {
  /** Stable forever: it appears in config (`provider: cloudflare`) and in Redis records. */
  readonly id: string;
  readonly displayName: string;
  readonly schemas: {
    /** The connection block without its `provider` key. */
    readonly connection: z.ZodType<ConnConfig>;
    /** The policy's `target` block. */
    readonly target: z.ZodType<Target>;
    /** The JSON document rotor stores in the sink for this provider. */
    readonly credential: z.ZodType<Cred>;
    /** The policy's `verify` block; absent when the provider takes no verify settings. */
    readonly verify?: z.ZodType<Verify>;
  };
  /**
   * The vendor's documented request quota per connection (admin credential): rotor's default client-side
   * limit, which a connection's `rateLimit` overrides. Absent when the vendor documents none.
   */
  readonly rateLimit?: RateLimit;
  /**
   * The handle `issue` returned for this stored credential. The orphan sweep and revoke match the sink's
   * versions to the vendor's credentials by it.
   */
  handleOf(credential: Cred): string;
  /**
   * The credential's secret members (a client secret, a token): while rotor holds the credential they are
   * redacted from every text it writes. Ids, names and expiry are not secret and stay readable.
   */
  secretsOf(credential: Cred): readonly string[];
  /**
   * Secret values the provider derives from the connection's secrets and sends (an HTTP Basic token), redacted
   * like the connection's secret settings themselves (which are known by their `Secret` type).
   */
  derivedSecrets?(connection: Resolved<ConnConfig>): readonly string[];
  /** The credential's expiry as stored in the sink, for `beforeExpiry` schedules and status. */
  expiresAt(credential: Cred): Date | undefined;
  /** Read-only calls that prove the admin credential and the target work. */
  preflight(input: PolicyInput<Resolved<ConnConfig>, Target>, ctx: StepContext): Promise<void>;
  verify?(
    input: VerifyInput<Resolved<ConnConfig>, Target, Cred, Verify>,
    ctx: StepContext,
  ): Promise<VerifyOutcome>;
}

/**
 * A provider as the engine and config see it: its value types are known only to its own folder, and every
 * value handed to it has passed its own schemas.
 */
export type AnyProvider = Provider<unknown, unknown, unknown, unknown>;
