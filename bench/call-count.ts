import type { RecordedCall } from '../src/emulator-harness/call-log.js';
import { figure } from './stats.js';

/** The AWS emulator's name in `rotor emulators`; every other emulator is a vendor. */
const AWS = 'aws';
/** AWS Secrets Manager operations that read (its quotas count these apart from the writes). */
const AWS_READ = /^(Get|Describe|List|BatchGet)/;

/** Calls of one service per rotation, in all and by call name (`×` how many per rotation). */
export interface CallGroup {
  readonly perRotation: number;
  /** Vendor calls: `<vendor> <route>` per rotation at that vendor; AWS calls: operation per rotation. */
  readonly byCall: Readonly<Record<string, number>>;
}

/** HTTP calls per rotation, by service, as the emulators' call logs recorded them. */
export interface CallsPerRotation {
  readonly vendor: CallGroup;
  readonly awsReads: CallGroup;
  readonly awsWrites: CallGroup;
  readonly total: number;
  /**
   * Of those, the answers that were not 2xx, as `<call> <status>` per rotation (at that vendor, for a vendor's):
   * an error or a throttle, or an answer the vendor documents as a success (Telenor's 403 to a restricted
   * token's ping: the token is known).
   */
  readonly notOk: Readonly<Record<string, number>>;
}

/**
 * The calls of one round, per rotation. `rotationsAt` gives how many of the round's rotations went to each
 * vendor (a vendor call's `byCall` figure is per rotation at that vendor; every other figure per rotation).
 */
export function callsPerRotation(
  calls: ReadonlyMap<string, readonly RecordedCall[]>,
  rotationsAt: ReadonlyMap<string, number>,
): CallsPerRotation {
  const rotations = [...rotationsAt.values()].reduce((sum, count) => sum + count, 0);
  const counts = {
    vendor: new Map<string, number>(),
    awsReads: new Map<string, number>(),
    awsWrites: new Map<string, number>(),
  };
  const notOk = new Map<string, number>();
  const add = (named: Map<string, number>, name: string) => named.set(name, (named.get(name) ?? 0) + 1);
  for (const [emulator, log] of calls) {
    for (const call of log) {
      const group =
        emulator !== AWS ? counts.vendor : AWS_READ.test(call.routeId) ? counts.awsReads : counts.awsWrites;
      const name = emulator === AWS ? call.routeId : `${emulator} ${call.routeId}`;
      add(group, name);
      if (call.status < 200 || call.status >= 300) add(notOk, `${name} ${call.status}`);
    }
  }
  /** Rotations a call is counted per: those at its vendor (the name's first word), else all. */
  const rotationsFor = (name: string) => {
    const space = name.indexOf(' ');
    return space < 0 ? rotations : (rotationsAt.get(name.slice(0, space)) ?? rotations);
  };
  const perRotation = (named: ReadonlyMap<string, number>) =>
    Object.fromEntries([...named].map(([name, count]) => [name, count / rotationsFor(name)]));
  const group = (named: ReadonlyMap<string, number>): CallGroup => ({
    perRotation: [...named.values()].reduce((sum, count) => sum + count, 0) / rotations,
    byCall: perRotation(named),
  });
  const vendor = group(counts.vendor);
  const awsReads = group(counts.awsReads);
  const awsWrites = group(counts.awsWrites);
  return {
    vendor,
    awsReads,
    awsWrites,
    total: vendor.perRotation + awsReads.perRotation + awsWrites.perRotation,
    notOk: perRotation(notOk),
  };
}

/** The median of each figure over several rounds (a call missing from a round counts 0 there). */
export function medianCalls(rounds: readonly CallsPerRotation[]): CallsPerRotation {
  const median = (of: (round: CallsPerRotation) => number) => figure(rounds.map(of)).median;
  /** Each name's median, names in the order the rounds first made them. */
  const medians = (pick: (round: CallsPerRotation) => Readonly<Record<string, number>>) => {
    const names = new Set(rounds.flatMap((round) => Object.keys(pick(round))));
    return Object.fromEntries([...names].map((name) => [name, median((round) => pick(round)[name] ?? 0)]));
  };
  const group = (pick: (round: CallsPerRotation) => CallGroup): CallGroup => ({
    perRotation: median((round) => pick(round).perRotation),
    byCall: medians((round) => pick(round).byCall),
  });
  return {
    vendor: group((round) => round.vendor),
    awsReads: group((round) => round.awsReads),
    awsWrites: group((round) => round.awsWrites),
    total: median((round) => round.total),
    notOk: medians((round) => round.notOk),
  };
}

const times = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(2));

/** `name ×n, …` of the names counted more than 0; vendor names (`<vendor> <route>`) grouped by vendor. */
export function describeCalls(byCall: Readonly<Record<string, number>>): string {
  const byVendor = new Map<string, string[]>();
  for (const [name, count] of Object.entries(byCall)) {
    if (count === 0) continue;
    const space = name.indexOf(' ');
    const [vendor, call] = space < 0 ? ['', name] : [name.slice(0, space), name.slice(space + 1)];
    byVendor.set(vendor, [...(byVendor.get(vendor) ?? []), `${call} ×${times(count)}`]);
  }
  return [...byVendor]
    .map(([vendor, named]) => (vendor === '' ? named.join(', ') : `${vendor}: ${named.join(', ')}`))
    .join('; ');
}

/** `3 (cloudflare: rotateServiceToken ×1, accessApplication ×1)`: a group as the table shows it. */
export function describeGroup(group: CallGroup): string {
  const named = describeCalls(group.byCall);
  return named === '' ? '0' : `${times(group.perRotation)} (${named})`;
}
