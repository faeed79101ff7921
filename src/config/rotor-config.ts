import type { AlertEventType } from '../domain/alert-events.js';
import type { RotationWindows } from '../domain/rotation-windows.js';
import type { Secret } from '../domain/secret.js';
import type { Resolved } from '../domain/secret-reference.js';
import type { AnyProvider, Capability } from '../providers/provider.js';
import type { RateLimit } from '../rate-limit/rate-limit.js';
import type { AwsSecretsManagerSettings } from '../sinks/aws-secrets-manager/aws-sm.settings.js';

export type Schedule =
  | { readonly kind: 'cron'; readonly pattern: string; readonly tz: string }
  | { readonly kind: 'every'; readonly everyMs: number }
  | { readonly kind: 'beforeExpiry'; readonly leadMs: number }
  | { readonly kind: 'manual' };

export interface ConnectionConfig {
  readonly name: string;
  readonly provider: AnyProvider;
  /** Parsed by the provider's connection schema, secret references resolved. */
  readonly settings: unknown;
  /** rotor's client-side limit for the connection's calls; undefined = none. */
  readonly rateLimit: RateLimit | undefined;
  /** Deadline of one call to the vendor, response body included. */
  readonly timeoutMs: number;
}

export interface PolicyConfig {
  readonly id: string;
  readonly connection: ConnectionConfig;
  readonly action: string;
  readonly capability: Capability;
  /** Parsed by the provider's target schema. */
  readonly target: unknown;
  readonly schedule: Schedule;
  readonly jitterMs: number;
  /** When its rotations may start (after jitter); absent = any time. Revokes are not windowed. */
  readonly windows?: RotationWindows;
  readonly paused: boolean;
  readonly gracePeriodMs: number;
  /** Parsed by the provider's verify schema, when the policy has a `verify` block. */
  readonly verify: unknown;
  readonly secret: { readonly id: string; readonly adopt: boolean };
  readonly retry: {
    readonly attempts: number;
    readonly backoffMs: number;
    readonly maxBackoffMs: number;
    /** Failed runs in a row after which scheduled runs stop until a successful one. */
    readonly needsAttentionAfter: number;
  };
  /** The services that use the policy's secret; absent = none configured. */
  readonly consumers?: PolicyConsumers;
}

/** How a consumer says which AWS version it uses: rotor polls a URL, or the consumer posts an ack. */
export type ConsumerConfirmation =
  | {
      readonly kind: 'poll';
      readonly url: string;
      /** Where the answer carries the version id: a JSON field (default `versionId`) or a header. */
      readonly field?: string;
      readonly header?: string;
      readonly everyMs: number;
      readonly timeoutMs: number;
    }
  | { readonly kind: 'ack'; readonly token: Secret<string> };

export interface ConsumerConfig {
  readonly name: string;
  /** Called after promote with a signed message carrying ids only; 2xx means "reloading". */
  readonly reload?: {
    readonly url: string;
    readonly secret: Secret<string>;
    readonly timeoutMs: number;
    readonly attempts: number;
  };
  readonly confirm?: ConsumerConfirmation;
}

export interface PolicyConsumers {
  readonly list: readonly ConsumerConfig[];
  /** The longest the revoke of a displaced credential waits for confirmations, counted from its displacement. */
  readonly maxGraceMs: number;
  /** What happens to the displaced credential when consumers have not confirmed by then. */
  readonly onUnconfirmed: 'hold' | 'revoke';
}

export interface AlertEndpointConfig {
  readonly name: string;
  /** Held as a secret: an incoming-webhook URL is a credential. */
  readonly url: Secret<string>;
  readonly secret: Secret<string> | undefined;
  readonly format: 'json' | 'slack';
  readonly events: ReadonlySet<AlertEventType>;
  readonly timeoutMs: number;
  readonly attempts: number;
}

export interface AlertsConfig {
  readonly expiringWithinMs: number;
  readonly endpoints: readonly AlertEndpointConfig[];
}

/** A bearer token the API accepts, with the name the run history records for the runs it asks for. */
export interface ApiTokenConfig {
  /** The configured name, else the token's fingerprint (`sha256:…`): never the value. */
  readonly name: string;
  readonly token: Secret<string>;
}

/** How long the API waits for slow or idle clients, and how many connections it keeps open at once. */
export interface ApiConnectionLimits {
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  /** A connection on which nothing moves either way for this long is closed. */
  readonly connectionTimeoutMs: number;
  readonly maxConnections: number;
}

/** Redis Sentinel: the sentinels to ask for the master of group `name`. */
export interface RedisSentinelConfig {
  readonly sentinels: readonly { readonly host: string; readonly port: number }[];
  readonly name: string;
  readonly sentinelPassword?: Secret<string>;
  readonly tls: boolean;
}

/** When runs wait for a replica to acknowledge their writes (WAIT), and for how long at most. */
export interface ReplicaWaitConfig {
  /** `auto`: while the master reports a connected replica; `on`: always (runs stop while none answers). */
  readonly mode: 'auto' | 'on' | 'off';
  readonly timeoutMs: number;
}

/** Where rotor's Redis is — one URL, or a Sentinel master group — with its password and key prefix. */
export type RedisConfig = (
  | { readonly url: string; readonly sentinel?: undefined }
  | { readonly url?: undefined; readonly sentinel: RedisSentinelConfig }
) & {
  readonly password?: Secret<string>;
  readonly prefix: string;
  /** Absent in configs built by hand (tests, one-shot commands): no waiting. */
  readonly replicaWait?: ReplicaWaitConfig;
};

/** The whole config, parsed once at the edge: typed values, secret references resolved. */
export interface RotorConfig {
  readonly file: string;
  readonly redis: RedisConfig;
  readonly journal: { readonly keys: ReadonlyMap<string, Secret<Buffer>>; readonly activeKeyId: string };
  readonly worker: {
    readonly concurrency: number;
    readonly lockDurationMs: number;
    readonly stalledIntervalMs: number;
    readonly maxStalledCount: number;
  };
  readonly sink: Resolved<AwsSecretsManagerSettings>;
  /** Alert webhooks, when configured. */
  readonly alerts?: AlertsConfig;
  /** The HTTP API, when configured. */
  readonly api?: {
    readonly host: string;
    readonly port: number;
    /** Accepted bearer tokens (several, so they can be rotated without downtime). */
    readonly tokens: readonly ApiTokenConfig[];
    readonly limits: ApiConnectionLimits;
    readonly dashboard: { readonly enabled: boolean; readonly readOnly: boolean };
  };
  readonly connections: ReadonlyMap<string, ConnectionConfig>;
  readonly policies: readonly PolicyConfig[];
}
