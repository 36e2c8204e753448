// npm run docs:console-screenshot: writes docs/console-overview.png, the README's picture of the console's
// overview, from a real run: a fresh PGlite database, an account seeded with a year of business (300
// customers, 60,000 calls, 3,600 invoices: the data set of bench/console-data.ts, smaller), the server
// listening on a free port, and Debian's Chromium (CHROMIUM_PATH) signing a console user in and taking the
// overview at 1280 x 900 once its charts have drawn.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { loadConsoleData } from '../bench/console-data.ts';
import { createAccount } from '../src/api-keys/create-account.ts';
import { createConsoleUser, setPasswordWithLink } from '../src/console-users/manage-users.ts';
import { createCtx } from '../src/context.ts';
import { openPglite } from '../src/db/connection.ts';
import { migrate } from '../src/db/migrate.ts';
import { buildServer } from '../src/http/server.ts';
import { REACTIONS } from '../src/reactions.ts';

const OUT = resolve(import.meta.dirname, '../docs/console-overview.png');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const PASSWORD = 'screenshot password';

const dir = await mkdtemp(join(tmpdir(), 'ringbill-screenshot-'));
const database = await openPglite({ dataDir: join(dir, 'pgdata') });
try {
  await migrate(database);
  const ctx = createCtx(database, () => new Date(), { reactions: REACTIONS });
  const { account } = await createAccount(ctx, {
    name: 'Acme Telecom',
    timezone: 'Europe/London',
    currency: 'GBP',
  });
  await loadConsoleData(ctx, account.id, { customers: 300, calls: 60_000, invoices: 3_600 });
  const { setUpPath } = await createConsoleUser(ctx, account.id, {
    email: 'olive@acme.example',
    name: 'Olive Owner',
    role: 'owner',
  });
  await setPasswordWithLink(ctx, setUpPath.split('/').at(-1)!, PASSWORD);
  const app = await buildServer(ctx, {});
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${url}/console/sign-in`);
    await page.fill('#email', 'olive@acme.example');
    await page.fill('#password', PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/console$/);
    await page.waitForSelector('#chart-revenue canvas');
    await page.waitForTimeout(300);
    await page.screenshot({ path: OUT });
    console.log(`wrote ${OUT}`);
  } finally {
    await browser.close();
    await app.close();
  }
} finally {
  await database.close();
  await rm(dir, { recursive: true, force: true });
}
