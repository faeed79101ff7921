/** What a secret becomes in text that leaves rotor. */
export const REDACTED = '[redacted]';

/** Removes secret values from text before it leaves rotor (logs, Redis, webhooks, API answers, CLI output). */
export interface Redactor {
  redact(text: string): string;
}

/** Registrations that end together: the credentials one job handles, the secrets of one loaded config. */
export interface SecretScope {
  /**
   * Registers the values until the scope is released (values shorter than MIN_SECRET_LENGTH are ignored; a
   * released scope holds nothing more).
   */
  hold(values: Iterable<string>): void;
  release(): void;
}

/** The same value with every string inside it (plain objects and arrays, deeply) redacted. */
export function redactStrings<T>(value: T, redactor: Redactor): T {
  const walk = (item: unknown): unknown => {
    if (typeof item === 'string') return redactor.redact(item);
    if (Array.isArray(item)) return item.map(walk);
    if (typeof item !== 'object' || item === null || Object.getPrototypeOf(item) !== Object.prototype)
      return item;
    return Object.fromEntries(Object.entries(item).map(([key, member]) => [key, walk(member)]));
  };
  return walk(value) as T;
}

/** A text that shares this many characters with a secret (in any indexed form) has them redacted. */
export const MIN_MATCH = 16;
/**
 * Shorter values are not registered: redacting every occurrence of a 5-letter word would mangle the text while
 * protecting nothing a guess could not find. A registered value shorter than MIN_MATCH is redacted only whole.
 */
export const MIN_SECRET_LENGTH = 8;

// The index holds seeds of SEED characters every STRIDE characters of each form: any MIN_MATCH characters of a
// form contain a whole seed (SEED + STRIDE - 1 = MIN_MATCH), so scanning the text's SEED-windows against the
// seeds finds every shared run of MIN_MATCH characters, with an index a ninth the size of all 16-grams'.
const SEED = 8; // a power of two: the window ring is indexed with a mask
const STRIDE = MIN_MATCH - SEED + 1;
const BASE = 0x01000193;
const BASE_POW = Array.from({ length: SEED - 1 }).reduce<number>((power) => Math.imul(power, BASE), 1);
// A counting filter in front of the seed map: most of a text's windows are turned away by one array read. It
// grows with the seeds (kept at most a quarter full), from 64 KiB for a few hundred values to 16 MiB.
const FILTER_MIN_BITS = 16;
const FILTER_MAX_BITS = 24;
// A seed's location packed in one number: variant id × OFFSET_SPAN + offset in the variant.
const OFFSET_SPAN = 2 ** 24;

/**
 * Matching ignores ASCII case, whitespace, and the difference between base64 and base64url (`-` is `+`, `_`
 * is `/`): uppercase hex, `%2b`, a token split by a space or a line break, and a base64url echo of a base64
 * form are all the same text to the index. For random secrets this costs no precision worth counting.
 */
function fold(code: number): number {
  if (code >= 65 && code <= 90) return code + 32;
  if (code === 45) return 43;
  if (code === 95) return 47;
  return code;
}

function isSpace(code: number): boolean {
  return (
    code === 32 ||
    (code >= 9 && code <= 13) ||
    code === 0xa0 ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0xfeff
  );
}

const ASCII_ONLY = /^[\0-\x7f]*$/;
const ASCII_SPACES = /[\t-\r ]/g;

function normalised(form: string): string {
  // Most forms (hex, base64, a random token) are ASCII, where toLowerCase folds exactly A–Z and the only
  // spaces are \t–\r and ' ': native string operations instead of a loop over every character.
  if (ASCII_ONLY.test(form)) {
    return form.toLowerCase().replaceAll('-', '+').replaceAll('_', '/').replace(ASCII_SPACES, '');
  }
  const codes: number[] = [];
  for (let i = 0; i < form.length; i++) {
    const code = form.charCodeAt(i);
    if (!isSpace(code)) codes.push(fold(code));
  }
  let out = '';
  for (let start = 0; start < codes.length; start += 4096)
    out += String.fromCharCode(...codes.slice(start, start + 4096));
  return out;
}

function uriEncoded(value: string): string | undefined {
  try {
    return encodeURIComponent(value);
  } catch {
    return undefined; // a lone surrogate has no URI form
  }
}

/**
 * The forms a value takes in text: raw, URL-encoded, JSON-escaped (also with `\u` escapes for non-ASCII),
 * base64 of its UTF-8 bytes — on its own, and at the two other byte alignments it has inside a longer base64
 * text (an HTTP Basic token, an encoded document) — and hex. base64url and uppercase hex fold into these.
 */
export function formsOf(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const json = JSON.stringify(value).slice(1, -1);
  const forms = [
    value,
    json,
    json.replace(/[\u007f-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`),
    uriEncoded(value),
    bytes.toString('base64'),
    bytes.toString('hex'),
  ];
  for (const shift of [1, 2]) {
    const end = shift + Math.floor((bytes.length - shift) / 3) * 3;
    if (end > shift) forms.push(bytes.subarray(shift, end).toString('base64'));
  }
  return [
    ...new Set(
      forms
        .filter((form): form is string => form !== undefined)
        .map(normalised)
        .filter((form) => form.length >= SEED),
    ),
  ];
}

function seedHash(form: string, offset: number): number {
  let hash = 0;
  for (let k = 0; k < SEED; k++) hash = (Math.imul(hash, BASE) + form.charCodeAt(offset + k)) | 0;
  return hash;
}

/** Fibonacci hashing: the product's high bits (what the filter and the map key use) depend on every bit. */
function mix(hash: number): number {
  return Math.imul(hash, 0x9e3779b1);
}

function seedOffsets(form: string): number[] {
  const offsets: number[] = [];
  for (let offset = 0; offset + SEED <= form.length; offset += STRIDE) offsets.push(offset);
  return offsets;
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

interface Entry {
  count: number;
  readonly variantIds: number[];
}

/**
 * Redaction by value: every secret rotor holds is registered here, and `redact` removes from a text every run
 * of MIN_MATCH or more characters it shares with any form of any registered value (a value shorter than
 * MIN_MATCH: every whole occurrence), replacing each maximal covered span with `[redacted]`. One pass over the
 * text, O(its length) plus the matches; registering and releasing a value costs O(its length). Registrations
 * are counted, so two holders of one value release it independently.
 */
export class SecretRedactor implements Redactor {
  readonly #entries = new Map<string, Entry>();
  readonly #variants: (string | undefined)[] = [];
  readonly #freeIds: number[] = [];
  readonly #seeds = new Map<number, number | number[]>();
  #filter = new Uint8Array(1 << FILTER_MIN_BITS);
  #filterShift = 32 - FILTER_MIN_BITS;
  #seedCount = 0;
  readonly #ringCodes = new Uint16Array(SEED);
  readonly #ringPositions = new Int32Array(SEED);

  /** How many distinct values are registered. */
  get size(): number {
    return this.#entries.size;
  }

  /** Registers a value (once more, if it already is); false when it is too short to register. */
  add(value: string): boolean {
    if (value.length < MIN_SECRET_LENGTH) return false;
    const entry = this.#entries.get(value);
    if (entry) {
      entry.count++;
      return true;
    }
    const variantIds = formsOf(value).map((form) => this.#index(form));
    this.#entries.set(value, { count: 1, variantIds });
    this.#growFilter();
    return true;
  }

  /** Undoes one `add` of the value. */
  remove(value: string): void {
    const entry = this.#entries.get(value);
    if (!entry) return;
    if (--entry.count > 0) return;
    this.#entries.delete(value);
    for (const id of entry.variantIds) this.#unindex(id);
  }

  scope(): SecretScope {
    const held: string[] = [];
    let released = false;
    return {
      // A late hold (an abandoned call settling after its job ended) registers nothing: nothing is written for
      // that job any more.
      hold: (values) => {
        if (released) return;
        for (const value of values) if (this.add(value)) held.push(value);
      },
      release: () => {
        if (released) return;
        released = true;
        for (const value of held) this.remove(value);
      },
    };
  }

  redact(text: string): string {
    if (this.#seeds.size === 0 || text.length < SEED) return text;
    const spans = this.#coveredSpans(text);
    return spans.length === 0 ? text : replaced(text, spans);
  }

  #index(form: string): number {
    const id = this.#freeIds.pop() ?? this.#variants.length;
    this.#variants[id] = form;
    for (const offset of seedOffsets(form)) {
      const mixed = mix(seedHash(form, offset));
      this.#count(mixed >>> this.#filterShift, 1);
      this.#seedCount++;
      const key = mixed >>> 2;
      const location = id * OFFSET_SPAN + offset;
      const known = this.#seeds.get(key);
      if (known === undefined) this.#seeds.set(key, location);
      else if (typeof known === 'number') this.#seeds.set(key, [known, location]);
      else known.push(location);
    }
    return id;
  }

  #unindex(id: number): void {
    const form = this.#variants[id];
    if (form === undefined) return;
    for (const offset of seedOffsets(form)) {
      const mixed = mix(seedHash(form, offset));
      this.#count(mixed >>> this.#filterShift, -1);
      this.#seedCount--;
      const key = mixed >>> 2;
      const location = id * OFFSET_SPAN + offset;
      const known = this.#seeds.get(key);
      if (known === location) this.#seeds.delete(key);
      else if (Array.isArray(known)) {
        const rest = known.filter((candidate) => candidate !== location);
        if (rest.length === 0) this.#seeds.delete(key);
        else this.#seeds.set(key, rest.length === 1 ? (rest[0] as number) : rest);
      }
    }
    this.#variants[id] = undefined;
    this.#freeIds.push(id);
  }

  /** A saturated count is never lowered: it only costs a few needless map lookups. */
  #count(slot: number, by: 1 | -1): void {
    const count = this.#filter[slot] ?? 0;
    if (count !== 255 && count + by >= 0) this.#filter[slot] = count + by;
  }

  /** A filter four times larger once the seeds fill a quarter of it, recounted from the seed map. */
  #growFilter(): void {
    const bits = 32 - this.#filterShift;
    if (this.#seedCount <= (1 << bits) / 4 || bits >= FILTER_MAX_BITS) return;
    const grown = Math.min(bits + 2, FILTER_MAX_BITS);
    this.#filter = new Uint8Array(1 << grown);
    this.#filterShift = 32 - grown;
    // Map keys are the mixed hash's top 30 bits: the filter's slot is their top `grown` bits.
    for (const [key, found] of this.#seeds) {
      const slot = key >>> (30 - grown);
      for (let n = typeof found === 'number' ? 1 : found.length; n > 0; n--) this.#count(slot, 1);
    }
  }

  /** Start and end (exclusive) of every run the text shares with a registered form, unsorted, flattened. */
  #coveredSpans(text: string): number[] {
    const spans: number[] = [];
    const codes = this.#ringCodes;
    const positions = this.#ringPositions;
    const filter = this.#filter;
    const filterShift = this.#filterShift;
    const seeds = this.#seeds;
    codes.fill(0);
    let hash = 0;
    let head = 0;
    let filled = 0;
    const length = text.length;
    for (let i = 0; i < length; i++) {
      const raw = text.charCodeAt(i);
      if (isSpace(raw)) continue;
      const code = fold(raw);
      const out = codes[head] as number;
      codes[head] = code;
      positions[head] = i;
      head = (head + 1) & (SEED - 1);
      hash = (Math.imul(hash - Math.imul(out, BASE_POW), BASE) + code) | 0;
      if (filled < SEED - 1) {
        filled++;
        continue;
      }
      const mixed = mix(hash);
      if (filter[mixed >>> filterShift] === 0) continue;
      const found = seeds.get(mixed >>> 2);
      if (found === undefined) continue;
      if (typeof found === 'number') this.#extend(text, i, head, found, spans);
      else for (const location of found) this.#extend(text, i, head, location, spans);
    }
    return spans;
  }

  /**
   * The window ending at text index `end` (its oldest character at ring slot `head`) hashed like a seed: if it
   * is that seed, the match is extended both ways along the form, skipping whitespace in the text, and kept
   * when it is MIN_MATCH characters long (the whole form, for a shorter one).
   */
  #extend(text: string, end: number, head: number, location: number, spans: number[]): void {
    const form = this.#variants[Math.floor(location / OFFSET_SPAN)];
    if (form === undefined) return;
    const offset = location % OFFSET_SPAN;
    const codes = this.#ringCodes;
    for (let k = 0; k < SEED; k++) {
      if (codes[(head + k) & (SEED - 1)] !== form.charCodeAt(offset + k)) return;
    }
    let matched = SEED;
    let last = end;
    for (let i = end + 1, f = offset + SEED; i < text.length && f < form.length; i++) {
      const raw = text.charCodeAt(i);
      if (isSpace(raw)) continue;
      if (fold(raw) !== form.charCodeAt(f)) break;
      matched++;
      last = i;
      f++;
    }
    let first = this.#ringPositions[head] ?? end;
    for (let i = first - 1, f = offset - 1; i >= 0 && f >= 0; i--) {
      const raw = text.charCodeAt(i);
      if (isSpace(raw)) continue;
      if (fold(raw) !== form.charCodeAt(f)) break;
      matched++;
      first = i;
      f--;
    }
    if (matched >= Math.min(MIN_MATCH, form.length)) spans.push(first, last + 1);
  }
}

/** The text with each maximal union of the spans replaced by REDACTED; never splits a surrogate pair. */
function replaced(text: string, flat: readonly number[]): string {
  const spans: [number, number][] = [];
  for (let i = 0; i < flat.length; i += 2) {
    let start = flat[i] ?? 0;
    let end = flat[i + 1] ?? 0;
    if (start > 0 && isLowSurrogate(text.charCodeAt(start)) && isHighSurrogate(text.charCodeAt(start - 1)))
      start--;
    if (
      end < text.length &&
      isHighSurrogate(text.charCodeAt(end - 1)) &&
      isLowSurrogate(text.charCodeAt(end))
    )
      end++;
    spans.push([start, end]);
  }
  spans.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [start, end] of spans) {
    const last = merged[merged.length - 1];
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  let out = '';
  let copied = 0;
  for (const [start, end] of merged) {
    out += `${text.slice(copied, start)}${REDACTED}`;
    copied = end;
  }
  return out + text.slice(copied);
}
