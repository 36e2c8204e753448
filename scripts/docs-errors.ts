// npm run docs:errors: writes the error catalogue (src/http/error-catalogue.ts) into README.md between its
// markers. `--check` writes nothing and exits 1 when the README's copy is out of date.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { renderErrorCatalogue, withCatalogue } from '../src/http/error-catalogue.ts';

const path = resolve(import.meta.dirname, '..', 'README.md');
const readme = readFileSync(path, 'utf8');
const updated = withCatalogue(readme, renderErrorCatalogue());
if (process.argv.includes('--check')) {
  if (updated !== readme) {
    console.error('README.md: the error catalogue is out of date; run npm run docs:errors');
    process.exit(1);
  }
  console.log('README.md: the error catalogue is up to date');
} else if (updated === readme) {
  console.log('README.md: the error catalogue is up to date');
} else {
  writeFileSync(path, updated);
  console.log('README.md: error catalogue written');
}
