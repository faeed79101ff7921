import { isRotationError } from '../domain/errors.js';
import { Secret } from '../domain/secret.js';
import { SecretReference } from '../domain/secret-reference.js';
import { readFailureDetail } from '../lib/read-bounded-file.js';
import type { ConfigProblem, PathSegment } from './config-problem.js';
import type { YamlSource } from './yaml-source.js';

export interface ReferenceResolver {
  readonly env: Readonly<Record<string, string | undefined>>;
  readFile(path: string): Promise<string>;
  readAwsSecret(secretId: string, key: string): Promise<Secret<string>>;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

async function resolveOne(reference: SecretReference, resolver: ReferenceResolver): Promise<Secret<string>> {
  const { source } = reference;
  switch (source.kind) {
    case 'env': {
      const value = resolver.env[source.name];
      if (value === undefined || value === '')
        throw new Error(`environment variable ${source.name} is not set`);
      return Secret.of(value);
    }
    case 'file': {
      let text: string;
      try {
        text = await resolver.readFile(source.path);
      } catch (error) {
        throw new Error(`cannot read file ${source.path}${readFailureDetail(error)}`);
      }
      const value = text.endsWith('\n') ? text.slice(0, text.endsWith('\r\n') ? -2 : -1) : text;
      if (value === '') throw new Error(`file ${source.path} is empty`);
      return Secret.of(value);
    }
    case 'awsSecret':
      try {
        return await resolver.readAwsSecret(source.secretId, source.key);
      } catch (error) {
        throw new Error(isRotationError(error) ? error.message : `cannot read ${reference.describe()}`);
      }
  }
}

/**
 * Replaces every SecretReference inside `value` (plain objects and arrays only) by the Secret it names, reporting
 * each one that cannot be resolved at its YAML path. `forbidAws` is for the AWS credentials themselves.
 */
export async function resolveReferences<T>(
  value: T,
  path: readonly PathSegment[],
  context: {
    source: YamlSource;
    resolver: ReferenceResolver;
    problems: ConfigProblem[];
    forbidAws?: boolean;
  },
): Promise<unknown> {
  if (value instanceof SecretReference) {
    if (context.forbidAws && value.source.kind === 'awsSecret') {
      context.problems.push(
        context.source.problem(
          path,
          'the AWS credentials cannot come from AWS Secrets Manager: use { env } or { file }',
        ),
      );
      return undefined;
    }
    try {
      return await resolveOne(value, context.resolver);
    } catch (error) {
      context.problems.push(
        context.source.problem(path, error instanceof Error ? error.message : 'unresolvable reference'),
      );
      return undefined;
    }
  }
  if (Array.isArray(value)) {
    return Promise.all(value.map((item, index) => resolveReferences(item, [...path, index], context)));
  }
  if (isPlainObject(value)) {
    const entries = await Promise.all(
      Object.entries(value).map(
        async ([key, item]) => [key, await resolveReferences(item, [...path, key], context)] as const,
      ),
    );
    return Object.fromEntries(entries);
  }
  return value;
}
