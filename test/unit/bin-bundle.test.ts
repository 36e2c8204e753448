// `ringbill` runs a bundle of src/ that bin/ringbill.js builds under .build/ (esbuild): what runs must
// always be the source as it is. On a copy of the package (bin/, src/, package.json; node_modules linked):
// the first run builds a bundle, the next reuses it, a change to a file under src/ makes the next run build
// a new one (and the old one goes), its source map names src/'s files, and RINGBILL_BUNDLE=0 runs through tsx.
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = resolve('.');

describe('bin/ringbill.js and its bundle of src/', { timeout: 120_000 }, () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ringbill-bundle-'));
    await cp(join(ROOT, 'bin'), join(dir, 'bin'), { recursive: true });
    await cp(join(ROOT, 'src'), join(dir, 'src'), { recursive: true });
    await cp(join(ROOT, 'package.json'), join(dir, 'package.json'));
    await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const ringbill = (args: string[], env: Record<string, string> = {}) =>
    run(process.execPath, [join(dir, 'bin', 'ringbill.js'), ...args], {
      env: { ...process.env, ...env },
      timeout: 60_000,
    });
  const bundles = async () =>
    (await readdir(join(dir, '.build')).catch(() => [] as string[])).filter((f) => f.endsWith('.mjs')).sort();

  it('builds a bundle once, rebuilds it when src/ changes, and runs the source as it is', async () => {
    const first = await ringbill(['--help']);
    expect(first.stdout).toContain('Usage: ringbill');
    const built = await bundles();
    expect(built).toHaveLength(1);
    expect(built[0]).toMatch(/^ringbill-[0-9a-f]{16}\.mjs$/);

    await ringbill(['--help']);
    expect(await bundles()).toEqual(built);

    // A change to the command's description: the next run shows it.
    const program = join(dir, 'src', 'cli', 'program.ts');
    const source = await readFile(program, 'utf8');
    expect(source).toContain('Ringbill: open-source call billing.');
    await writeFile(program, source.replace('Ringbill: open-source call billing.', 'Ringbill (changed).'));
    const changed = await ringbill(['--help']);
    expect(changed.stdout).toContain('Ringbill (changed).');
    const rebuilt = await bundles();
    expect(rebuilt).toHaveLength(1);
    expect(rebuilt[0]).not.toBe(built[0]);
  });

  it('links a source map naming src/ (for stack traces), and runs through tsx with RINGBILL_BUNDLE=0', async () => {
    const before = await bundles();
    const viaTsx = await ringbill(['--help'], { RINGBILL_BUNDLE: '0' });
    expect(viaTsx.stdout).toContain('Usage: ringbill');
    expect(await bundles()).toEqual(before);

    const bundle = join(dir, '.build', before[0]!);
    const map = JSON.parse(await readFile(`${bundle}.map`, 'utf8')) as { sources: string[] };
    expect(map.sources.some((s) => s.endsWith('src/cli/main.ts'))).toBe(true);
    expect(await readFile(bundle, 'utf8')).toContain(`//# sourceMappingURL=${before[0]}.map`);
  });
});
