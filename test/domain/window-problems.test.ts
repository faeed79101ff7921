import { describe, expect, it } from 'vitest';
import type { AllowedWindow, RotationWindows } from '../../src/domain/rotation-windows.js';
import { windowProblems } from '../../src/domain/window-problems.js';

const weekend: AllowedWindow = { days: ['sat', 'sun'], from: '01:00', to: '05:00', timeZone: 'Europe/Oslo' };
const freezeFrom = (from: string, to: string) => ({ fromMs: Date.parse(from), toMs: Date.parse(to) });

describe('windowProblems', () => {
  it('finds nothing wrong with windows that open and freezes that end', () => {
    const windows = {
      allowed: [weekend, { ...weekend, days: ['fri' as const], from: '22:00', to: '02:00' }],
      freezes: [freezeFrom('2026-12-20T00:00Z', '2027-01-03T00:00Z')],
    };
    expect(windowProblems(windows)).toEqual([]);
    expect(windowProblems({ freezes: [] })).toEqual([]);
  });

  it('refuses a window set that never opens, saying what to write instead', () => {
    expect(windowProblems({ allowed: [{ ...weekend, days: [] }], freezes: [] })).toEqual([
      'allowed[0].days: lists no days, so this window never opens: list days such as [mon, tue, wed], or leave out days for every day',
    ]);
    expect(windowProblems({ allowed: [{ ...weekend, to: '01:00' }], freezes: [] })).toEqual([
      "allowed[0].to: is the same as from (01:00), so this window is empty: for the whole day write from: '00:00' and to: '24:00'; to run past midnight, write a to earlier than from",
    ]);
    expect(windowProblems({ allowed: [], freezes: [] })).toEqual([
      "allowed: lists no windows, so no rotation could start: add one such as { days: [sat, sun], from: '01:00', to: '05:00' }, or leave out allowed to allow any time",
    ]);
  });

  it('refuses a freeze that leaves no start within three years', () => {
    const windows = { allowed: [weekend], freezes: [freezeFrom('2026-01-01T00:00Z', '2029-06-01T00:00Z')] };
    expect(windowProblems(windows)).toEqual([
      'freezes[0]: leaves no rotation a start within 3 years after it begins (2026-01-01T00:00:00.000Z): end it sooner',
    ]);
  });

  it('names each malformed time, unknown zone and backwards freeze by its place', () => {
    const windows: RotationWindows = {
      allowed: [weekend, { ...weekend, from: '1:00', to: '24:30', timeZone: 'Europe/Olso' }],
      freezes: [freezeFrom('2027-01-03T00:00Z', '2026-12-20T00:00Z')],
    };
    expect(windowProblems(windows)).toEqual([
      `allowed[1].from: expected a time of day as HH:MM, 00:00 to 23:59, such as '22:00'; got "1:00"`,
      `allowed[1].to: expected a time of day as HH:MM, 00:00 to 24:00, such as '02:00'; got "24:30"`,
      'allowed[1].timeZone: expected an IANA time zone such as Europe/Oslo or America/New_York, got "Europe/Olso"',
      'freezes[0].to: ends at 2026-12-20T00:00:00.000Z, not after it begins (2027-01-03T00:00:00.000Z): write a to later than from',
    ]);
  });
});
