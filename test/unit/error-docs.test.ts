// The README's error catalogue is the one the code generates (npm run docs:errors), so it cannot drift
// from the codes the surfaces answer.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { backendError } from '../../src/http/backend/errors.ts';
import { renderErrorCatalogue, withCatalogue } from '../../src/http/error-catalogue.ts';
import { errorCodes } from '../../src/shared/errors.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('the error catalogue in README.md', () => {
  it('is the one the code generates (run npm run docs:errors after changing an error code)', () => {
    expect(withCatalogue(readme, renderErrorCatalogue())).toBe(readme);
  });

  it('lists every domain code and every backend error_code, each once', () => {
    const catalogue = renderErrorCatalogue();
    for (const code of errorCodes) {
      expect(catalogue).toContain(`| \`${code}\` |`);
      expect(catalogue.match(new RegExp(`\\| ${backendError(code).errorCode} \\|`, 'g'))).toHaveLength(1);
    }
    for (const transport of [413001, 414001, 415001, 500001]) expect(catalogue).toContain(`| ${transport} |`);
    const backendCodes = errorCodes.map((c) => backendError(c).errorCode);
    expect(new Set(backendCodes).size).toBe(backendCodes.length);
  });
});
