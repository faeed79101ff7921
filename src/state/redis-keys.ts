/** rotor's own Redis keys (BullMQ keeps its keys under `<prefix>:<queue>:`). */
export const stateKeys = {
  record: (prefix: string, policyId: string) => `${prefix}:policy:${policyId}`,
  history: (prefix: string, policyId: string) => `${prefix}:history:${policyId}`,
  journal: (prefix: string, policyId: string) => `${prefix}:journal:${policyId}`,
  /** The policy's consumers: each one's confirmed version and reload outcome, and the versions held for them. */
  consumers: (prefix: string, policyId: string) => `${prefix}:consumers:${policyId}`,
  /** Which set-up of rotor's state this Redis holds: gone or changed means Redis forgot (restart, flush, failover). */
  generation: (prefix: string) => `${prefix}:generation`,
};
