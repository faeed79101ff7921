import { describe, expect, it } from 'vitest';
import { instantOfWallMs, isTimeZone, utcMs } from '../../src/domain/zoned-time.js';

/** The instant a local reading (`2026-03-29T02:30`) names in a zone, as ISO, so failures read as times. */
function instantOf(reading: string, timeZone: string): string {
  return new Date(instantOfWallMs(Date.parse(`${reading}Z`), timeZone)).toISOString();
}
const iso = (text: string) => new Date(Date.parse(text)).toISOString();

describe('instantOfWallMs', () => {
  it.each([
    ['Europe/Oslo', '2026-03-29T02:30', '2026-03-29T03:00+02:00'],
    ['America/New_York', '2026-03-08T02:30', '2026-03-08T03:00-04:00'],
    ['Australia/Lord_Howe', '2026-10-04T02:15', '2026-10-04T02:30+11:00'],
    ['Pacific/Apia', '2011-12-30T10:00', '2011-12-31T00:00+14:00'],
  ])('a reading the clocks skip in %s (%s) names the moment they jump (%s)', (zone, reading, expected) => {
    expect(instantOf(reading, zone)).toBe(iso(expected));
  });

  it.each([
    ['Europe/Oslo', '2026-10-25T02:30', '2026-10-25T02:30+02:00'],
    ['America/New_York', '2026-11-01T01:30', '2026-11-01T01:30-04:00'],
    ['Australia/Lord_Howe', '2026-04-05T01:45', '2026-04-05T01:45+11:00'],
  ])('a reading the clocks repeat in %s (%s) names its first occurrence (%s)', (zone, reading, expected) => {
    expect(instantOf(reading, zone)).toBe(iso(expected));
  });

  it.each([
    ['Europe/Oslo', '2026-03-29T01:59', '2026-03-29T01:59+01:00'],
    ['Europe/Oslo', '2026-03-29T03:00', '2026-03-29T03:00+02:00'],
    ['Europe/Oslo', '2026-10-25T03:00', '2026-10-25T03:00+01:00'],
    ['America/New_York', '2026-11-01T02:00', '2026-11-01T02:00-05:00'],
    ['Asia/Kolkata', '2026-06-01T12:00', '2026-06-01T12:00+05:30'],
    ['UTC', '2026-06-01T12:00', '2026-06-01T12:00Z'],
  ])('an ordinary reading in %s (%s) names its one instant (%s)', (zone, reading, expected) => {
    expect(instantOf(reading, zone)).toBe(iso(expected));
  });
});

describe('isTimeZone', () => {
  it('knows IANA zones and refuses names that are not one', () => {
    expect(isTimeZone('Europe/Oslo')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Europe/Olso')).toBe(false);
    expect(isTimeZone('')).toBe(false);
  });
});

describe('utcMs', () => {
  it('keeps years below 100 as written', () => {
    expect(new Date(utcMs(50, 2, 28, 12)).toISOString()).toBe('0050-02-28T12:00:00.000Z');
  });
});
