// Lists the places outside src/money/ that round (or may round) an amount, and counts them.
//
//   npm run money:rounding-sites            (prints each site, then the count)
//   npm run money:rounding-sites -- --count (prints only the count)
//
// A site is a line of code (comments left out) with one of: `.toFixed(` with an argument (Decimal and
// Number both round there), `toDecimalPlaces(`/`toDP(`, `.round(`, `ROUND_`, a call of a rounding helper
// (`roundTo(`, `divideRound…(`), a division by a million (micro-units by hand), or `Math.round/floor/ceil/trunc`
// on a line that names money (amount, charge, value, micros, fee, cost, vat, total, price, balance, money).
// TypeScript files only (the console's browser script formats chart numbers, not amounts).
// Every rounding of money belongs in src/money/ (one named function per rule), so the goal is 0.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const SRC = join(ROOT, 'src');
const MONEY_DIR = join(SRC, 'money');

const PATTERNS: { name: string; test: (line: string) => boolean }[] = [
  { name: 'toFixed(n)', test: (l) => /\.toFixed\(\s*[^)\s]/.test(l) },
  { name: 'toDecimalPlaces', test: (l) => /\.(toDecimalPlaces|toDP)\(/.test(l) },
  { name: '.round(', test: (l) => /\.round\(/.test(l) && !/Math\.round\(/.test(l) },
  { name: 'ROUND_', test: (l) => /\bROUND_[A-Z_]+/.test(l) },
  {
    name: 'rounding helper',
    test: (l) => /\b(roundTo|divideRound\w*)\(/.test(l) && !/^\s*(export\s+)?function\b/.test(l),
  },
  { name: '/ 1000000', test: (l) => /\/\s*(1_?000_?000n?\b|MICROS_PER_UNIT)/.test(l) },
  {
    name: 'Math rounding on money',
    test: (l) =>
      /Math\.(round|floor|ceil|trunc)\(/.test(l) &&
      /\b(amount|charge|value|\w*micros|fee|cost|vat|total|price|balance|money)\b/i.test(l),
  },
];

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (path !== MONEY_DIR) yield* files(path);
    } else if (name.endsWith('.ts')) yield path;
  }
}

let count = 0;
const lines: string[] = [];
for (const file of files(SRC)) {
  const text = readFileSync(file, 'utf8').split('\n');
  text.forEach((line, i) => {
    const code = line.replace(/\/\/.*$/, '');
    if (/^\s*(\*|\/\*)/.test(code)) return;
    const hit = PATTERNS.find((p) => p.test(code));
    if (!hit) return;
    count++;
    lines.push(`${relative(ROOT, file)}:${i + 1}  [${hit.name}]  ${line.trim().slice(0, 140)}`);
  });
}
if (!process.argv.includes('--count')) for (const line of lines) console.log(line);
console.log(`${count} rounding sites outside src/money/`);
