// npm run openapi:types: the TypeScript types of the OpenAPI document (openapi-typescript), as a client
// generated from it sees the API; written to test/generated/ringbill-openapi.ts, which the typed-client test
// (test/integration/openapi-client.test.ts) uses with openapi-fetch. `--check` writes nothing and exits 1
// when the committed file differs from a fresh generation (the test checks the same).
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';
import { format, resolveConfig } from 'prettier';
import { buildOpenApiDocument } from './openapi-lint.ts';

export const TYPES_PATH = resolve(import.meta.dirname, '..', 'test', 'generated', 'ringbill-openapi.ts');

const HEADER = `${COMMENT_HEADER.trimEnd()}\n// The types of GET /openapi.json; regenerate with npm run openapi:types.\n\n`;

/**
 * The generated types of a document, as the committed file holds them: formatted with the repository's
 * Prettier settings, so that formatting the tree leaves the file as generated.
 */
export async function openApiTypes(document: unknown): Promise<string> {
  // openapi-typescript takes an OpenAPI 3 object (its own type of it); the document is one.
  const ast = await openapiTS(document as Parameters<typeof openapiTS>[0] & object, { silent: true });
  const options = (await resolveConfig(TYPES_PATH)) ?? {};
  return format(HEADER + astToString(ast), { ...options, filepath: TYPES_PATH });
}

async function main(): Promise<void> {
  const types = await openApiTypes(await buildOpenApiDocument());
  let current: string | undefined;
  try {
    current = readFileSync(TYPES_PATH, 'utf8');
  } catch {
    current = undefined;
  }
  if (process.argv.includes('--check')) {
    if (current !== types) {
      console.error(`${TYPES_PATH}: out of date; run npm run openapi:types`);
      process.exitCode = 1;
    } else {
      console.log(`${TYPES_PATH}: up to date`);
    }
    return;
  }
  if (current === types) {
    console.log(`${TYPES_PATH}: up to date`);
  } else {
    writeFileSync(TYPES_PATH, types);
    console.log(`${TYPES_PATH}: written`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
