/**
 * Safe readers for untrusted webhook payloads: every reader takes `unknown` and
 * returns a typed value or a neutral fallback, so a missing or mistyped field
 * never throws. Parsers decide separately whether what is left makes sense.
 */

export type Fields = Record<string, unknown>;

/** A plain JSON object, or null (arrays and primitives are not objects here). */
export function asFields(value: unknown): Fields | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Fields) : null;
}

/** A nested object, or an empty one so that reads chain without checks. */
export function fields(value: unknown): Fields {
  return asFields(value) ?? {};
}

/** A non-empty string (trimmed only to decide emptiness), else null. */
export function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

/** A finite number; numeric strings are accepted because older GitLab sent some ids as strings. */
export function number(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim())) return Number(value);
  return null;
}

/** A boolean; GitLab never sends "true" strings, so nothing else counts. */
export function flag(value: unknown): boolean | null {
  return typeof value === 'boolean' ? value : null;
}

export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The objects of an array, skipping anything else. */
export function records(value: unknown): Fields[] {
  return list(value).flatMap((item) => {
    const record = asFields(item);
    return record ? [record] : [];
  });
}

/** The strings of an array, skipping anything else. */
export function strings(value: unknown): string[] {
  return list(value).flatMap((item) => text(item) ?? []);
}

/** `changes.<name>` as `{ previous, current }`, or null when that field did not change. */
export function change(changes: Fields, name: string): { previous: unknown; current: unknown } | null {
  const entry = asFields(changes[name]);
  return entry && ('previous' in entry || 'current' in entry) ? { previous: entry.previous, current: entry.current } : null;
}
