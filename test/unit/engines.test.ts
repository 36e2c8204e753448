// Every package the lockfile installs must support the Node versions Ringbill supports (package.json
// "engines"): on Node 20, `npm install` would otherwise warn EBADENGINE and may install code that breaks.
import { readFileSync } from 'node:fs';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const lock = JSON.parse(readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8')) as {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
};
const ours = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  engines: { node: string };
};

describe('engines', () => {
  // The oldest Node 20 we accept, and the current majors users run.
  const supported = [semver.minVersion(ours.engines.node)!.version, '20.20.0', '22.13.0', '24.0.0'];
  it('supports Node 20, 22 and 24', () => {
    for (const version of supported) expect(semver.satisfies(version, ours.engines.node)).toBe(true);
  });

  it('every installed package accepts every supported Node version', () => {
    const refused: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      const range = !Array.isArray(entry.engines) ? entry.engines?.node : undefined;
      if (path === '' || range === undefined) continue;
      for (const version of supported) {
        if (!semver.satisfies(version, range))
          refused.push(`${path}@${entry.version} wants node ${range}, not ${version}`);
      }
    }
    expect(refused).toEqual([]);
  });
});
