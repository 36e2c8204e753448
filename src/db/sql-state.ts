// PostgreSQL's SQLSTATE codes that the code reacts to (the same on PGlite), and how to read one off an error.

/** Two writers raced for the same unique value. */
export const UNIQUE_VIOLATION = '23505';
/** Two transactions waited on each other's rows; this one was chosen to give way. Nothing of it was stored. */
export const DEADLOCK = '40P01';
/** A serializable or repeatable-read transaction could not go on. Nothing of it was stored. */
export const SERIALIZATION_FAILURE = '40001';

export function sqlStateOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}
