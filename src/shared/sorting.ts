// Sorting a list by a column a person chose: only the keys a repository whitelists (each maps to one
// column), ascending or descending. A bad key or direction falls back to the list's default order, so a
// hand-edited address never reaches SQL.

export type SortDirection = 'asc' | 'desc';

export interface Sort<K extends string> {
  key: K;
  dir: SortDirection;
}

/** "name" or "-name" (descending) → a sort on one of `keys`; the default when it is anything else. */
export function parseSort<K extends string>(
  value: string | undefined,
  keys: Readonly<Record<K, unknown>>,
  fallback: Sort<K>,
): Sort<K> {
  const text = (value ?? '').trim();
  const dir: SortDirection = text.startsWith('-') ? 'desc' : 'asc';
  const key = dir === 'desc' ? text.slice(1) : text;
  return Object.prototype.hasOwnProperty.call(keys, key) ? { key: key as K, dir } : fallback;
}

/** The wire form of a sort ("-name" for descending). */
export function sortParam<K extends string>(sort: Sort<K>): string {
  return `${sort.dir === 'desc' ? '-' : ''}${sort.key}`;
}

/** Offset pages are bounded: past this, narrow the filters. */
export const MAX_OFFSET = 100_000;

/** The offset of page `page` (1-based) of `size`, bounded; page 1 when the value is not a page number. */
export function pageOffset(page: string | undefined, size: number): { page: number; offset: number } {
  const n = /^\d{1,6}$/.test(page ?? '') ? Math.max(1, Number(page)) : 1;
  const offset = Math.min((n - 1) * size, MAX_OFFSET);
  return { page: Math.floor(offset / size) + 1, offset };
}
