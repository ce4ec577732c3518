/** Keyset paging over UUIDv7 ids: ids sort by creation time, so the last id is the cursor. */
export interface PageRequest {
  limit: number;
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Fetch limit + 1 rows, then call this: the extra row only tells whether there is more. */
export function toPage<T extends { id: string }>(rows: T[], limit: number): Page<T> {
  const items = rows.slice(0, limit);
  const hasMore = rows.length > limit;
  return { items, nextCursor: hasMore ? items[items.length - 1].id : null };
}
