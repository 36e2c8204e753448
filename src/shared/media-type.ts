/**
 * A body of a type the operation does not take: HTTP 415. A plain error with a statusCode, which every
 * surface's error mapping turns into its own shape (src/http/errors.ts keeps 4xx status codes).
 */
export function unsupportedMediaType(message: string): Error {
  return Object.assign(new Error(message), { statusCode: 415 });
}
