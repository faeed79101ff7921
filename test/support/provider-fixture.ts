import type { EmulatorServer } from '../../src/emulator-harness/emulator-server.js';

/**
 * One provider's emulator, set up for the daemon-level suites (conformance, crash, secrets hygiene). Each
 * provider has one in test/providers/<provider>.fixture.ts; the suites know no provider by name.
 */
export interface ProviderFixture {
  readonly providerId: string;
  /** The action the suites rotate with (its capability decides whether a revoke is expected). */
  readonly action: string;
  readonly server: EmulatorServer;
  /** Environment variables the connection block's secret references read. */
  readonly env: Readonly<Record<string, string>>;
  /**
   * The connection block's body pointing at the emulator: YAML lines at zero indentation, without
   * `provider:` (the suite adds it), e.g. `baseUrl: http://127.0.0.1:1234\ntoken: { env: TAGO_TOKEN }`.
   */
  readonly connectionYaml: string;
  /**
   * A fresh target for one policy: the policy's `target:` value as a YAML flow mapping (e.g.
   * `{ name: "ci", permission: full }`), extra policy keys as YAML lines if the provider needs any
   * (e.g. a `verify:` block), and the credential document a secret must already hold when the action
   * needs one (extend actions).
   */
  newTarget(policyId: string): Promise<{
    readonly targetYaml: string;
    readonly extraPolicyYaml?: string;
    readonly initialCredential?: unknown;
  }>;
  /** Route id of the call that issues a credential (issues are counted and faults injected there). */
  readonly issueRoute: string;
  /** Route id of the call that verifies a new credential (a run held there has staged it). */
  readonly verifyRoute: string;
  /** Route id of the call that revokes the displaced credential (overlap actions). */
  readonly revokeRoute?: string;
  /** Calls to `revokeRoute` one revoke makes (default 1; e.g. an access and a refresh token). */
  readonly revokeCalls?: number;
  /**
   * For providers that can list what rotor made: creates a credential at the emulator as rotor would have
   * made it for this policy and run (its name or tags), and returns its stored document.
   */
  plantRotorCredential?(policyId: string, runId: string): Promise<unknown>;
  /**
   * Whether the vendor accepts this stored credential document right now, by the provider's one definition
   * (through the vendor's own API wherever it can tell): what "not lost" means for every suite.
   */
  accepts(credential: unknown): Promise<boolean>;
  /**
   * The vendor's ids of the credentials rotor made that are live there right now (an existing, unexpired
   * token; a client secret still admitted; a Moov token pair whose access or refresh token still works), read
   * from the emulator's store. A credential the fixture seeded as the operator's own is not rotor's.
   */
  liveCredentials(): readonly string[];
  /** How many: `liveCredentials().length`. */
  liveIssued(): number;
  /** The id `liveCredentials` gives the credential this stored document holds (undefined: none the vendor knows). */
  credentialId(credential: unknown): string | undefined;
  /** Every secret value the emulator has minted or holds (issued tokens, admin credentials). */
  secrets(): readonly string[];
  close(): Promise<void>;
}
