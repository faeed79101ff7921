import { isRotationError, type RotationError } from '../../src/domain/errors.js';

/** The RotationError a promise rejects with; anything else (or success) fails the test. */
export async function rotationFailure(promise: Promise<unknown>): Promise<RotationError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isRotationError(error)) throw new Error(`expected a RotationError, got ${String(error)}`);
  return error;
}
