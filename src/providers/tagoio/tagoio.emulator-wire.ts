import type { EmulatorResponse } from '../../emulator-harness/emulator-http.js';
import type { StoredServiceToken } from './tagoio.emulator-store.js';

export const ok = (result: unknown): EmulatorResponse => ({ status: 200, body: { status: true, result } });

export const fail = (status: number, message: string): EmulatorResponse => ({
  status,
  // Both documented error shapes at once (`message` and `result.message`), as the reference recommends.
  body: { status: false, message, result: { message } },
});

/** A token as `GET /serviceauth` describes it (TokenDataList), before `fields` picks from it. */
export function listView(token: StoredServiceToken): Record<string, string | null> {
  return {
    token: token.token,
    name: token.name,
    type: 'serviceauth',
    permission: token.permission,
    serie_number: token.serieNumber,
    last_authorization: null,
    verification_code: token.verificationCode,
    expire_time: token.expireTime,
    ref_id: token.refId,
    created_at: new Date(token.createdAt).toISOString(),
    created_by: null,
  };
}

const DEFAULT_FIELDS = ['name', 'token', 'permission'];
const SORTABLE = new Set(['name', 'permission', 'serie_number', 'verification_code', 'created_at']);

/** `fields[0]=` (qs, the JS SDK), `fields[]=` and repeated `fields=` (requests, the Python SDK). */
function fieldsOf(query: URLSearchParams): string[] {
  const fields: string[] = [];
  for (const [key, value] of query) if (/^fields(\[\d*\])?$/.test(key)) fields.push(value);
  return fields.length > 0 ? fields : DEFAULT_FIELDS;
}

/** `filter[<field>]=<value>` pairs; `*` in a value matches any run of characters. */
function filtersOf(query: URLSearchParams): [string, string][] {
  const filters: [string, string][] = [];
  for (const [key, value] of query) {
    const field = /^filter\[([a-z_]+)\]$/.exec(key)?.[1];
    if (field !== undefined) filters.push([field, value]);
  }
  return filters;
}

function matches(pattern: string, value: string | null | undefined): boolean {
  if (value === null || value === undefined) return false;
  if (!pattern.includes('*')) return pattern === value;
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`).test(value);
}

function positive(text: string | null, fallback: number, max: number): number {
  const value = Number(text ?? fallback);
  return Number.isInteger(value) && value >= 1 ? Math.min(value, max) : fallback;
}

/**
 * `GET /serviceauth` with its query as both SDKs send it: `page` (default 1), `amount` (default 20),
 * `fields`, `filter[<field>]`, `orderBy=<field>,<asc|desc>` (default `created_at,desc`).
 */
export function listTokens(all: readonly StoredServiceToken[], query: URLSearchParams): EmulatorResponse {
  const [orderField = '', direction = ''] = (query.get('orderBy') ?? 'created_at,desc').split(',');
  if (!SORTABLE.has(orderField) || (direction !== 'asc' && direction !== 'desc')) {
    return fail(400, 'Invalid request data');
  }
  const page = positive(query.get('page'), 1, 1_000_000);
  const amount = positive(query.get('amount'), 20, 10_000);
  const fields = fieldsOf(query);
  const filters = filtersOf(query);
  // A name filter is checked on the stored token first: only its matches are described (TagoIO answers a
  // filtered list at the cost of what it lists, not of every token the profile ever had).
  const named = filters.filter(([field]) => field === 'name');
  const listed = all
    .filter((token) => named.every(([, pattern]) => matches(pattern, token.name)))
    .map((token) => ({ token, view: listView(token) }))
    .filter(({ view }) => filters.every(([field, pattern]) => matches(pattern, view[field])))
    .sort((a, b) => {
      const order =
        orderField === 'created_at'
          ? a.token.createdAt - b.token.createdAt
          : (a.view[orderField] ?? '').localeCompare(b.view[orderField] ?? '');
      return direction === 'asc' ? order : -order;
    })
    .slice((page - 1) * amount, page * amount);
  return ok(
    listed.map(({ view }) =>
      Object.fromEntries(Object.entries(view).filter(([key]) => fields.includes(key))),
    ),
  );
}
