import { z } from 'zod';
import type { Secret } from './secret.js';

export type SecretSource =
  | { readonly kind: 'env'; readonly name: string }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'awsSecret'; readonly secretId: string; readonly key: string };

/**
 * Where a secret comes from. Config never holds secret values inline: it holds one of these, and the
 * config loader resolves each into a `Secret<string>` at the edge.
 */
export class SecretReference {
  readonly source: SecretSource;

  constructor(source: SecretSource) {
    this.source = source;
  }

  describe(): string {
    switch (this.source.kind) {
      case 'env':
        return `environment variable ${this.source.name}`;
      case 'file':
        return `file ${this.source.path}`;
      case 'awsSecret':
        return `key "${this.source.key}" of AWS secret ${this.source.secretId}`;
    }
  }
}

const envRef = z.strictObject({
  env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name'),
});
const fileRef = z.strictObject({ file: z.string().min(1) });
const awsRef = z.strictObject({ awsSecret: z.string().min(1).max(2048), key: z.string().min(1) });

/** `{ env: NAME }`, `{ file: PATH }` or `{ awsSecret: ID, key: FIELD }`; a plain string is refused. */
export const secretReferenceSchema = z
  .custom<Record<string, unknown>>(
    (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
    {
      error:
        'expected a secret reference { env: NAME }, { file: PATH } or { awsSecret: ID, key: FIELD } (inline secret values are not allowed)',
    },
  )
  .transform((value, ctx): SecretReference => {
    if ('env' in value) {
      const parsed = envRef.safeParse(value);
      if (parsed.success) return new SecretReference({ kind: 'env', name: parsed.data.env });
    } else if ('file' in value) {
      const parsed = fileRef.safeParse(value);
      if (parsed.success) return new SecretReference({ kind: 'file', path: parsed.data.file });
    } else if ('awsSecret' in value) {
      const parsed = awsRef.safeParse(value);
      if (parsed.success) {
        return new SecretReference({
          kind: 'awsSecret',
          secretId: parsed.data.awsSecret,
          key: parsed.data.key,
        });
      }
    }
    ctx.addIssue({
      code: 'custom',
      message: 'expected exactly one of { env: NAME }, { file: PATH } or { awsSecret: ID, key: FIELD }',
    });
    return z.NEVER;
  });

/** A config value after its secret references have been resolved. */
export type Resolved<T> = T extends SecretReference
  ? Secret<string>
  : T extends readonly (infer U)[]
    ? Resolved<U>[]
    : T extends object
      ? { readonly [K in keyof T]: Resolved<T[K]> }
      : T;
