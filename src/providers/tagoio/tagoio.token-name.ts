const MARK = ' rotor:';

/** The name of a token rotor creates: the target's name, then ` rotor:<policy id>:<run id>`. */
export function rotorTokenName(name: string, policyId: string, runId: string): string {
  return `${name}${MARK}${policyId}:${runId}`;
}

/** The policy and run of a rotor-made token, from its name; undefined for tokens rotor did not make. */
export function parseRotorTokenName(
  name: string,
): { name: string; policyId: string; runId: string } | undefined {
  const at = name.lastIndexOf(MARK);
  if (at < 0) return undefined;
  const match = /^([a-z0-9][a-z0-9-]*):([a-z0-9][a-z0-9-]*)$/.exec(name.slice(at + MARK.length));
  if (!match?.[1] || !match[2]) return undefined;
  return { name: name.slice(0, at), policyId: match[1], runId: match[2] };
}
