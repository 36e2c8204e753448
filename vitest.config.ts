// Three projects: pure unit tests once, and the integration tests on each database.
// PostgreSQL runs when TEST_DATABASE_URL is set or a server answers on 127.0.0.1:5432.
import { connect } from 'node:net';
import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

function portAnswers(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export default defineConfig(async () => {
  const postgres = Boolean(process.env.TEST_DATABASE_URL) || (await portAnswers('127.0.0.1', 5432));
  const integration = (db: 'pglite' | 'postgres') => ({
    extends: true as const,
    test: {
      name: db,
      include: ['test/integration/**/*.test.ts'],
      env: { RINGBILL_TEST_DB: db },
      globalSetup: ['test/helpers/global-setup.ts'],
      testTimeout: 60_000,
      hookTimeout: 120_000,
    },
  });
  return {
    test: {
      // At least two test files at a time. Vitest's default is one fewer worker than cores, which on CI's two
      // cores is one: every file then waits for the one before it, although most of an integration file's
      // time is spent waiting (on PostgreSQL, on a `ringbill` child process, on Chromium, on a socket), so
      // one core sat mostly idle. Two workers on two cores keep both busy; on a bigger machine this is
      // vitest's default. Every file has its own database, server, mail folder and ports (port 0 or
      // freePort()), so files never see each other's work. RINGBILL_TEST_WORKERS=1 runs one file at a time
      // (the projects inherit this value, so vitest's own --maxWorkers flag does not override it).
      maxWorkers: Number(process.env.RINGBILL_TEST_WORKERS) || Math.max(2, availableParallelism() - 1),
      projects: [
        {
          extends: true as const,
          // Property tests run hundreds of cases: on a loaded 2-core CI machine one took 5.0 s, vitest's default
          // limit. The limit catches a hung test, not a slow one (speed goals are benchmarks, under bench/).
          test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 30_000 },
        },
        integration('pglite'),
        ...(postgres ? [integration('postgres')] : []),
      ],
    },
  };
});
