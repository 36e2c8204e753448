import { describe, expect, it } from 'vitest';
import { classifyError, httpStatusOf } from '../../src/http/errors.ts';
import { DomainError } from '../../src/shared/errors.ts';

function pgError(code: string): Error {
  return Object.assign(new Error(`database error ${code}`), { code });
}

describe('classifyError', () => {
  it.each(['23505', '40P01', '40001'])(
    'answers a race the database settled (%s) as a conflict to retry, a 409',
    (code) => {
      const classified = classifyError(pgError(code));
      expect(classified?.error).toBeInstanceOf(DomainError);
      expect(classified?.error.code).toBe('conflict');
      expect(classified?.error.message).toMatch(/retry/);
      expect(httpStatusOf(classified!.error.code)).toBe(409);
    },
  );

  it.each(['23503', '42P01', '57014'])('leaves other database errors (%s) unexpected', (code) => {
    expect(classifyError(pgError(code))).toBeUndefined();
  });

  it('passes a domain error through as it is', () => {
    const error = new DomainError('not_found', 'Invoice 7 not found');
    expect(classifyError(error)).toEqual({ error });
  });
});
