/**
 * The names rotor gives the tokens it creates, so it can recognise them later (the orphan sweep lists the
 * profile's tokens and keeps only its own):
 *
 *     <target name> rotor:<policy id>:<run id>
 *
 * e.g. `lorawan gateway rotor:gateway-auth:gateway-auth-1767225600000`. Policy ids are lower-case letters,
 * digits and hyphens, and a run id is `<policy id>-<epoch ms>` (scheduled) or `<policy id>-m<epoch ms>`
 * (on demand), so neither contains `:` and the last ` rotor:` in a name starts the marker even when the
 * target's own name contains one.
 */
const MARK = ' rotor:';
const ID = '[a-z0-9][a-z0-9-]*';
const MARKER = new RegExp(`^(${ID}):(${ID})$`);

export interface RotorTokenName {
  /** The target's name. */
  readonly name: string;
  readonly policyId: string;
  readonly runId: string;
}

/** The name of a token rotor creates for a policy's run. */
export function rotorTokenName(name: string, policyId: string, runId: string): string {
  return `${name}${MARK}${policyId}:${runId}`;
}

/** The policy and run of a rotor-made token, from its name; undefined for tokens rotor did not make. */
export function parseRotorTokenName(tokenName: string): RotorTokenName | undefined {
  const at = tokenName.lastIndexOf(MARK);
  if (at < 0) return undefined;
  const match = MARKER.exec(tokenName.slice(at + MARK.length));
  const policyId = match?.[1];
  const runId = match?.[2];
  // A run id always starts with its policy id: anything else was not written by rotor.
  if (policyId === undefined || runId === undefined || !runId.startsWith(`${policyId}-`)) return undefined;
  return { name: tokenName.slice(0, at), policyId, runId };
}
