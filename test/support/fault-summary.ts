import { existsSync, readFileSync } from 'node:fs';
import type { FaultOutcome } from './fault-ledger.js';

const COLUMNS = [
  'faults injected',
  'rotations completed',
  'credentials lost',
  'duplicate issues',
  'leaked values',
];

/** The fault suites' outcomes, summed per suite, as a text table (empty when no fault suite ran). */
export function faultSummary(ledgerFile: string): string {
  if (!existsSync(ledgerFile)) return '';
  const rows = new Map<string, number[]>();
  for (const line of readFileSync(ledgerFile, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const outcome = JSON.parse(line) as FaultOutcome;
    const values = [
      outcome.faultsInjected,
      outcome.rotationsCompleted,
      outcome.credentialsLost,
      outcome.duplicateIssues,
      outcome.leakedValues,
    ];
    const sum = rows.get(outcome.suite) ?? [0, 0, 0, 0, 0];
    rows.set(
      outcome.suite,
      sum.map((value, index) => value + (values[index] ?? 0)),
    );
  }
  if (rows.size === 0) return '';
  const total = [...rows.values()].reduce((acc, row) => acc.map((value, index) => value + (row[index] ?? 0)));
  const table = [...[...rows].sort(([a], [b]) => a.localeCompare(b)), ['total', total] as const];
  const width = Math.max(...table.map(([suite]) => suite.length), 'suite'.length);
  const line = (cells: string[]) =>
    cells
      .map((cell, index) =>
        index === 0 ? cell.padEnd(width) : cell.padStart(COLUMNS[index - 1]?.length ?? 0),
      )
      .join('  ');
  return [
    'fault suites',
    line(['suite', ...COLUMNS]),
    ...table.map(([suite, values]) => line([suite, ...values.map(String)])),
  ].join('\n');
}
