const REDACTED = '[secret]';
const inspectCustom = Symbol.for('nodejs.util.inspect.custom');

/**
 * Wraps a secret value so that it cannot be printed, logged or serialised by accident.
 * `reveal()` is the only way out; every call site is a deliberate hand-over to a vendor or the sink.
 */
export class Secret<T> {
  readonly #value: T;

  private constructor(value: T) {
    this.#value = value;
  }

  static of<T>(value: T): Secret<T> {
    return new Secret(value);
  }

  reveal(): T {
    return this.#value;
  }

  map<U>(fn: (value: T) => U): Secret<U> {
    return new Secret(fn(this.#value));
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspectCustom](): string {
    return REDACTED;
  }
}
