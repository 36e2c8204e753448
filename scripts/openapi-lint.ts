// npm run openapi:lint: builds the OpenAPI document as the server serves it (the server is built in this
// process on an empty in-memory database and asked for GET /openapi.json, without listening) and lints it
// with Redocly's recommended ruleset (redocly.yaml; accepted problems in .redocly.lint-ignore.yaml). Exits 1
// on any error or warning. The document's `servers` is PUBLIC_URL when set, as on a real server; else it is
// what a server with the default settings tells a client on the same machine (http://127.0.0.1:8080).
// test/integration/openapi.test.ts runs the same lint.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  formatProblems,
  getTotals,
  lintFromString,
  loadConfig,
  type NormalizedProblem,
} from '@redocly/openapi-core';
import { createCtx } from '../src/context.ts';
import { openPglite } from '../src/db/connection.ts';
import { buildServer } from '../src/http/server.ts';

const ROOT = resolve(import.meta.dirname, '..');
/** The name problems are reported under, and that .redocly.lint-ignore.yaml names. */
export const DOCUMENT_PATH = resolve(ROOT, 'openapi.json');

/** The Host the document is asked with: the default PORT, from this machine. */
const DEFAULT_HOST = '127.0.0.1:8080';

/** GET /openapi.json of a server built in this process (it never listens). */
export async function buildOpenApiDocument(
  options: { publicUrl?: string | undefined; host?: string } = {},
): Promise<Record<string, unknown>> {
  const database = await openPglite();
  try {
    const app = await buildServer(createCtx(database), { publicUrl: options.publicUrl });
    try {
      const res = await app.inject({
        method: 'GET',
        url: '/openapi.json',
        headers: { host: options.host ?? DEFAULT_HOST },
      });
      if (res.statusCode !== 200)
        throw new Error(`GET /openapi.json answered ${res.statusCode}: ${res.body}`);
      return res.json();
    } finally {
      await app.close();
    }
  } finally {
    await database.close();
  }
}

export interface LintResult {
  /** Every problem found, the accepted (ignored) ones included. */
  problems: (NormalizedProblem & { ignored?: boolean })[];
  errors: number;
  warnings: number;
  ignored: number;
}

/** Redocly's lint of the document with the repository's redocly.yaml (the recommended ruleset). */
export async function lintOpenApi(document: unknown): Promise<LintResult> {
  const config = await loadConfig({ configPath: resolve(ROOT, 'redocly.yaml') });
  const problems = (
    await lintFromString({ source: JSON.stringify(document, null, 2), absoluteRef: DOCUMENT_PATH, config })
  ).map((problem) => config.addProblemToIgnore(problem));
  const totals = getTotals(problems);
  return { problems, errors: totals.errors, warnings: totals.warnings, ignored: totals.ignored };
}

async function main(): Promise<void> {
  const document = await buildOpenApiDocument({ publicUrl: process.env.PUBLIC_URL || undefined });
  const result = await lintOpenApi(document);
  formatProblems(result.problems, {
    totals: getTotals(result.problems),
    format: 'stylish',
    cwd: ROOT,
    maxProblems: 1000,
  });
  const operations = Object.values(document.paths as Record<string, Record<string, unknown>>).flatMap(
    (item) => Object.keys(item),
  ).length;
  console.log(
    `openapi.json: ${operations} operations; ${result.errors} errors, ${result.warnings} warnings, ${result.ignored} accepted (.redocly.lint-ignore.yaml)`,
  );
  if (result.errors > 0 || result.warnings > 0) process.exitCode = 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
