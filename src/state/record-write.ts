import type { Redis } from 'ioredis';
import { LuaScript } from '../lib/lua-script.js';

// One write of a policy's state, all or nothing. The record is written only if its stored revision is still
// the one the change was computed from (else 0), and — when the writer names itself (ARGV[3]) — only if the
// record's in-flight run is the writer's or its owner's job lock is gone (the fence, else -1), and, when a
// lock token is given (ARGV[6]), only while the writer's own job lock still holds it (else -2). With it, in
// the same step: the journal slot (KEYS[2]) is filled with the run's credential (refused with -3 while it
// holds another run's or attempt's) or cleared of the run's entry, and a run history entry is appended to the
// capped list (KEYS[3]).
const WRITE = new LuaScript(`
local stored = redis.call('GET', KEYS[1])
local revision = 0
if stored then
  local record = cjson.decode(stored)
  revision = record.revision
  local inFlight = record.inFlight
  if ARGV[3] ~= '' and type(inFlight) == 'table' and type(inFlight.owner) == 'string'
    and inFlight.owner ~= ARGV[3]
    and redis.call('EXISTS', ARGV[4] .. inFlight.owner .. ARGV[5]) == 1 then
    return -1
  end
end
if revision ~= tonumber(ARGV[1]) then return 0 end
if ARGV[6] ~= '' and redis.call('GET', ARGV[4] .. ARGV[3] .. ARGV[5]) ~= ARGV[6] then return -2 end
if ARGV[7] == 'put' then
  if not redis.call('SET', KEYS[2], ARGV[10], 'NX') then
    local entry = cjson.decode(redis.call('GET', KEYS[2]))
    if entry.runId ~= ARGV[8] or entry.issueAttempt ~= tonumber(ARGV[9]) then return -3 end
    redis.call('SET', KEYS[2], ARGV[10])
  end
elseif ARGV[7] == 'clear' then
  local slot = redis.call('GET', KEYS[2])
  if slot and cjson.decode(slot).runId == ARGV[8] then redis.call('DEL', KEYS[2]) end
end
redis.call('SET', KEYS[1], ARGV[2])
if ARGV[11] ~= '' then
  redis.call('LPUSH', KEYS[3], ARGV[11])
  redis.call('LTRIM', KEYS[3], 0, tonumber(ARGV[12]) - 1)
end
return 1`);

/** Where the job lock of a run's owner lives: `<before><job id><after>` (BullMQ's `<prefix>:<queue>:<id>:lock`). */
export interface OwnerLockKeys {
  readonly before: string;
  readonly after: string;
}

export interface RecordWrite {
  readonly keys: { readonly record: string; readonly journal: string; readonly history: string };
  readonly expectedRevision: number;
  /** The new record, as stored. */
  readonly record: string;
  readonly owner: string | undefined;
  readonly ownerLock: OwnerLockKeys;
  /** The token the owner's job lock must hold. */
  readonly lockToken: string | undefined;
  readonly journal:
    | { readonly put: { readonly runId: string; readonly issueAttempt: number; readonly stored: string } }
    | { readonly clearRun: string }
    | undefined;
  readonly history: { readonly entry: string; readonly cap: number } | undefined;
}

export type RecordWriteOutcome = 'written' | 'conflict' | 'fenced' | 'lock-lost' | 'journal-taken';

const outcomes: Readonly<Record<string, RecordWriteOutcome>> = {
  '1': 'written',
  '0': 'conflict',
  '-1': 'fenced',
  '-2': 'lock-lost',
  '-3': 'journal-taken',
};

/** Runs the write (one command, one round trip); what came of it. */
export async function writeRecord(redis: Redis, write: RecordWrite): Promise<RecordWriteOutcome> {
  const { journal, history } = write;
  const journalArgs =
    journal === undefined
      ? ['', '', '', '']
      : 'put' in journal
        ? ['put', journal.put.runId, String(journal.put.issueAttempt), journal.put.stored]
        : ['clear', journal.clearRun, '', ''];
  const answer = await WRITE.run(
    redis,
    [write.keys.record, write.keys.journal, write.keys.history],
    [
      String(write.expectedRevision),
      write.record,
      write.owner ?? '',
      write.ownerLock.before,
      write.ownerLock.after,
      write.owner === undefined ? '' : (write.lockToken ?? ''),
      ...journalArgs,
      history?.entry ?? '',
      String(history?.cap ?? 0),
    ],
  );
  const outcome = outcomes[String(answer)];
  if (outcome === undefined)
    throw new Error(`unexpected answer from the record write script: ${String(answer)}`);
  return outcome;
}
