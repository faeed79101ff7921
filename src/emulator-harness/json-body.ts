import type { EmulatorRequest } from './emulator-http.js';

/** How a vendor reads a request body as JSON. */
export interface JsonBodyRules {
  /** What an empty body stands for (`{}` where the vendor takes none as no fields); absent, it is malformed. */
  readonly whenEmpty?: unknown;
}

/** A request body read as JSON: its value, or why it is malformed (the parser's message). */
export type JsonBody =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly reason: string };

/**
 * The request body as JSON, for every emulator: each answers a malformed body in its vendor's own error shape
 * from `reason`, or refuses the `undefined` of `jsonBodyValue` through its own schema check.
 */
export function readJsonBody(request: EmulatorRequest, rules: JsonBodyRules = {}): JsonBody {
  if (request.body.length === 0 && rules.whenEmpty !== undefined) return { ok: true, value: rules.whenEmpty };
  try {
    return { ok: true, value: JSON.parse(request.body.toString('utf8')) };
  } catch (error) {
    return { ok: false, reason: (error as SyntaxError).message };
  }
}

/** The body's JSON value, or undefined where it is malformed (no JSON text parses to undefined). */
export function jsonBodyValue(request: EmulatorRequest, rules: JsonBodyRules = {}): unknown {
  const body = readJsonBody(request, rules);
  return body.ok ? body.value : undefined;
}

/** A JSON object: not an array, null or a scalar. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
