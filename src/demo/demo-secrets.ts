import { randomBytes } from 'node:crypto';

/** The ROTOR_DEMO_* variables config/demo.yaml refers to: fresh random values on every demo start. */
export interface DemoSecrets {
  readonly ROTOR_DEMO_CLOUDFLARE_API_TOKEN: string;
  readonly ROTOR_DEMO_AWS_ACCESS_KEY_ID: string;
  readonly ROTOR_DEMO_AWS_SECRET_ACCESS_KEY: string;
  readonly ROTOR_DEMO_JOURNAL_KEY: string;
  readonly ROTOR_DEMO_TELENOR_SESSION: string;
  readonly ROTOR_DEMO_TAGOIO_TOKEN: string;
  readonly ROTOR_DEMO_MOOV_PUBLIC_KEY: string;
  readonly ROTOR_DEMO_MOOV_SECRET_KEY: string;
  /** The Standard Webhooks secret rotor signs the demo consumer's reload hook with. */
  readonly ROTOR_DEMO_CONSUMER_RELOAD_SECRET: string;
}

export function generateDemoSecrets(): DemoSecrets {
  return {
    ROTOR_DEMO_CLOUDFLARE_API_TOKEN: randomBytes(30).toString('base64url'),
    ROTOR_DEMO_AWS_ACCESS_KEY_ID: `AKIADEMO${randomBytes(6).toString('hex').toUpperCase()}`,
    ROTOR_DEMO_AWS_SECRET_ACCESS_KEY: randomBytes(30).toString('base64'),
    ROTOR_DEMO_JOURNAL_KEY: randomBytes(32).toString('base64'),
    ROTOR_DEMO_TELENOR_SESSION: `horde_session=${randomBytes(24).toString('hex')}`,
    ROTOR_DEMO_TAGOIO_TOKEN: `p-${randomBytes(16).toString('hex')}`,
    ROTOR_DEMO_MOOV_PUBLIC_KEY: `pk_${randomBytes(12).toString('hex')}`,
    ROTOR_DEMO_MOOV_SECRET_KEY: `sk_${randomBytes(20).toString('hex')}`,
    ROTOR_DEMO_CONSUMER_RELOAD_SECRET: `whsec_${randomBytes(32).toString('base64')}`,
  };
}
