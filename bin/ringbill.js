#!/usr/bin/env node
// The `ringbill` command. Ringbill is written in TypeScript, and a fresh clone needs no build step:
// `npm install` and it runs.
//
// The first run bundles src/ with esbuild (the compiler tsx itself uses) into one file under .build/, named
// by a fingerprint of src/ (every file's path, size and time), in about half a second; every later run loads
// that file, which starts a command 2–3 times faster than compiling each of src/'s modules on its way in
// through tsx's loader. A change to any file under src/ changes the fingerprint, so the next run bundles
// again: what runs is always the source as it is. Several runs at once may each bundle; each writes a file of
// its own and renames it into place, so none reads a half-written bundle. Where .build/ cannot be written (a
// read-only install) or RINGBILL_BUNDLE=0 is set, the command runs through tsx as before.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'src', 'cli', 'main.ts');
const buildDir = join(root, '.build');

/** A fingerprint of src/: every file's path, size and modification time. */
function fingerprint() {
  const hash = createHash('sha256');
  const walk = (dir) => {
    for (const entryName of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      const path = join(dir, entryName.name);
      if (entryName.isDirectory()) walk(path);
      else {
        const stat = statSync(path);
        hash.update(`${path}\0${stat.size}\0${stat.mtimeMs}\n`);
      }
    }
  };
  walk(join(root, 'src'));
  return hash.digest('hex').slice(0, 16);
}

/** The bundle of src/ as it is now, built if missing; undefined when it cannot be (then tsx runs it). */
async function bundle() {
  if (process.env.RINGBILL_BUNDLE === '0') return undefined;
  try {
    const name = `ringbill-${fingerprint()}.mjs`;
    const file = join(buildDir, name);
    if (existsSync(file)) return file;
    const { build } = await import('esbuild');
    mkdirSync(buildDir, { recursive: true });
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      // Dependencies are loaded from node_modules as they are; only Ringbill's own modules are bundled.
      packages: 'external',
      // Class and function names stay what the source says (errors, logs and checks read them).
      keepNames: true,
      sourcemap: 'linked',
      sourcesContent: false,
      outfile: file,
      write: false,
      logLevel: 'silent',
    });
    // Each file written under a name of this process's, then renamed into place: the map first.
    const isMap = (output) => output.path.endsWith('.map');
    const outputs = [...result.outputFiles.filter(isMap), ...result.outputFiles.filter((o) => !isMap(o))];
    for (const output of outputs) {
      const partial = join(buildDir, `.${process.pid}.${output.path.slice(buildDir.length + 1)}.partial`);
      writeFileSync(partial, output.contents);
      renameSync(partial, output.path);
    }
    // Older bundles (of src/ as it was) go; a process still running one has already loaded it.
    for (const old of readdirSync(buildDir))
      if (old.startsWith('ringbill-') && !old.startsWith(name)) {
        try {
          unlinkSync(join(buildDir, old));
        } catch {
          // another run removed it first
        }
      }
    return file;
  } catch {
    return undefined;
  }
}

const bundled = await bundle();
if (bundled) {
  // Stack traces name src/'s files and lines, not the bundle's.
  process.setSourceMapsEnabled(true);
  await import(pathToFileURL(bundled).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
