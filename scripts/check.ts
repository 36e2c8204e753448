// npm run check: the checks CI runs before the tests (types, dependency rules, lint, formatting, the OpenAPI
// lint, the schema types, the module graph), run side by side on the machine's cores instead of one after
// the other. They are independent (each reads the tree, none writes it), and most are single-threaded, so on
// CI's two cores the check takes about the time of its longest lane rather than of all of them. Each check's
// output is printed whole when it ends (never interleaved); the command fails when any check fails, after
// all have run, naming each failed one.
//
// `npm run check -- --serial` runs them one after the other, in the same order.
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';

/** The checks, longest first (CPU seconds measured on the tree: lint ~60, typecheck ~47, format ~31...). */
const CHECKS: string[][] = [
  ['lint'],
  ['typecheck'],
  ['format:check'],
  ['deps'],
  ['openapi:lint'],
  ['db:types', '--', '--check'],
  ['graph', '--', '--check'],
  ['modules', '--', '--check'],
];

interface Outcome {
  name: string;
  code: number;
  output: string;
  seconds: number;
}

function runCheck(args: string[]): Promise<Outcome> {
  const name = args.join(' ');
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', (error) => {
      output += `${String(error)}\n`;
    });
    child.on('close', (code, signal) => {
      resolve({ name, code: code ?? (signal ? 1 : 0), output, seconds: (Date.now() - started) / 1000 });
    });
  });
}

async function main(): Promise<void> {
  const lanes = process.argv.includes('--serial') ? 1 : Math.max(1, availableParallelism());
  const queue = [...CHECKS];
  const outcomes: Outcome[] = [];
  const lane = async (): Promise<void> => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const outcome = await runCheck(next);
      outcomes.push(outcome);
      const mark = outcome.code === 0 ? 'ok' : `FAILED (exit ${outcome.code})`;
      process.stdout.write(`\n> npm run ${outcome.name}: ${mark} in ${outcome.seconds.toFixed(1)} s\n`);
      if (outcome.output)
        process.stdout.write(outcome.output.endsWith('\n') ? outcome.output : `${outcome.output}\n`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(lanes, CHECKS.length) }, lane));
  const failed = outcomes.filter((o) => o.code !== 0).map((o) => o.name);
  if (failed.length > 0) {
    process.stderr.write(`\ncheck failed: ${failed.map((f) => `npm run ${f}`).join(', ')}\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write(`\ncheck passed: ${CHECKS.length} checks, ${lanes} at a time\n`);
  }
}

await main();
