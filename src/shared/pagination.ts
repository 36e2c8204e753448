// Keyset pagination: lists are ordered by id and a page starts after the last id of the previous page.
// Every list has a bounded page size, so no response is unbounded.

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

export interface PageRequest {
  /** Return rows with an id greater than this. */
  after?: number | undefined;
  limit: number;
}

export interface Page<T> {
  rows: T[];
  /** The id to pass as `after` for the next page, when there may be more rows. */
  nextAfter: number | undefined;
}

/** Repositories fetch limit + 1 rows; this trims the extra row and says whether there is a next page. */
export function toPage<T extends { id: number }>(rows: T[], limit: number): Page<T> {
  if (rows.length <= limit) return { rows, nextAfter: undefined };
  const page = rows.slice(0, limit);
  return { rows: page, nextAfter: page[page.length - 1]!.id };
}
