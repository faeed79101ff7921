import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/config/config-problem.js';
import { windowsOf, windowsSchema } from '../../src/config/windows.schema.js';
import { parseYaml } from '../../src/config/yaml-source.js';
import { problemsFromZod } from '../../src/config/zod-problems.js';
import { locateWindowProblems } from '../../src/domain/window-problems.js';

/** A `windows:` block as rotor.yaml holds it: the parsed windows, or every problem as `rotor validate` says it. */
function readWindows(yaml: string) {
  const { source, problems: syntax } = parseYaml('rotor.yaml', yaml);
  expect(syntax).toEqual([]);
  const result = windowsSchema.safeParse(source.value);
  if (!result.success) return { problems: problemsFromZod(source, [], result.error).map(formatProblem) };
  const windows = windowsOf(undefined, result.data);
  const problems = windows === undefined ? [] : locateWindowProblems(windows);
  if (problems.length === 0) return { windows };
  return { problems: problems.map(({ path, message }) => formatProblem(source.problem(path, message))) };
}

const iso = (text: string) => Date.parse(text);

describe('windowsSchema and windowsOf', () => {
  it('reads allowed windows and freezes, filling in every day, UTC and no freezes', () => {
    expect(
      readWindows(`
allowed:
  - { days: [sat, sun], from: 01:00, to: 05:00, timeZone: Europe/Oslo }
  - { from: 22:00, to: 24:00 }
`),
    ).toEqual({
      windows: {
        allowed: [
          { days: ['sat', 'sun'], from: '01:00', to: '05:00', timeZone: 'Europe/Oslo' },
          {
            days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
            from: '22:00',
            to: '24:00',
            timeZone: 'UTC',
          },
        ],
        freezes: [],
      },
    });
    expect(readWindows('{}')).toEqual({ windows: undefined });
  });

  it("turns a freeze's local date-times into instants in its zone, and takes Z and offsets as written", () => {
    expect(
      readWindows(`
freezes:
  - { from: 2026-12-20T00:00, to: 2027-01-03T00:00, timeZone: Europe/Oslo, reason: holidays }
  - { from: 2026-06-01T09:00Z, to: 2026-06-01T17:00-04:00 }
`),
    ).toEqual({
      windows: {
        freezes: [
          { fromMs: iso('2026-12-20T00:00+01:00'), toMs: iso('2027-01-03T00:00+01:00'), reason: 'holidays' },
          { fromMs: iso('2026-06-01T09:00Z'), toMs: iso('2026-06-01T21:00Z') },
        ],
      },
    });
  });

  it('converts freeze times through DST: a skipped reading is the moment the clocks jump, a repeated one its first occurrence', () => {
    expect(
      readWindows(`
freezes:
  - { from: 2026-03-29T02:30, to: 2026-10-25T02:30, timeZone: Europe/Oslo }
`),
    ).toEqual({
      windows: { freezes: [{ fromMs: iso('2026-03-29T03:00+02:00'), toMs: iso('2026-10-25T02:30+02:00') }] },
    });
  });

  it('reports every mistake at once, each at its place and saying what to write instead', () => {
    expect(
      readWindows(`
allowed:
  - { days: [], from: "9:00", to: 25:00, timeZone: Europe/Olso }
  - { days: [Sat], from: 900, to: 10:00, start: 1 }
  - { from: 10:00, to: 10:00 }
freezes:
  - { from: 2026-12-20, to: 2026-02-30T00:00 }
  - { from: 2027-01-03T00:00, to: 2026-12-20T00:00 }
  - { from: 2026-12-20T00:00, to: 2027-01-03T00:00, timeZone: Oslo }
`).problems,
    ).toEqual([
      'rotor.yaml:3:13: allowed[0].days: lists no days, so this window never opens: list days such as [mon, tue, wed], or leave out days for every day',
      `rotor.yaml:3:23: allowed[0].from: expected a time of day as HH:MM, 00:00 to 23:59, such as '22:00'; got "9:00"`,
      `rotor.yaml:3:35: allowed[0].to: expected a time of day as HH:MM, 00:00 to 24:00, such as '02:00'; got "25:00"`,
      'rotor.yaml:3:52: allowed[0].timeZone: expected an IANA time zone such as Europe/Oslo or America/New_York, got "Europe/Olso"',
      'rotor.yaml:4:14: allowed[1].days[0]: expected a day: mon, tue, wed, thu, fri, sat or sun',
      "rotor.yaml:4:26: allowed[1].from: expected a time of day as HH:MM, quoted, such as '22:00'",
      'rotor.yaml:4:49: allowed[1].start: unknown key "start"',
      "rotor.yaml:5:24: allowed[2].to: is the same as from (10:00), so this window is empty: for the whole day write from: '00:00' and to: '24:00'; to run past midnight, write a to earlier than from",
      'rotor.yaml:7:13: freezes[0].from: expected a date and time, got only a date: write "2026-12-20T00:00" for the start of that day',
      `rotor.yaml:7:29: freezes[0].to: expected a date and time such as 2025-12-20T00:00 (in the freeze's timeZone) or 2025-12-20T00:00Z, got "2026-02-30T00:00"`,
      'rotor.yaml:8:35: freezes[1].to: ends at 2026-12-20T00:00:00.000Z, not after it begins (2027-01-03T00:00:00.000Z): write a to later than from',
      'rotor.yaml:9:63: freezes[2].timeZone: expected an IANA time zone such as Europe/Oslo or America/New_York, got "Oslo"',
    ]);
  });

  it('refuses windows and freezes that leave no rotation a start', () => {
    expect(readWindows('allowed: []').problems).toEqual([
      "rotor.yaml:1:10: allowed: lists no windows, so no rotation could start: add one such as { days: [sat, sun], from: '01:00', to: '05:00' }, or leave out allowed to allow any time",
    ]);
    expect(readWindows('freezes: [{ from: 2026-01-01T00:00Z, to: 2036-01-01T00:00Z }]').problems).toEqual([
      'rotor.yaml:1:11: freezes[0]: leaves no rotation a start within 3 years after it begins (2026-01-01T00:00:00.000Z): end it sooner',
    ]);
  });
});
