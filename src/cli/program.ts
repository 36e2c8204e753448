// The `ringbill` command's subcommands. Each calls the same use cases as the HTTP routes.
import { Command, CommanderError, Option } from 'commander';
import { createAccount } from '../accounts/create-account.ts';
import { listAccounts } from '../accounts/repo.ts';
import { createApiKey } from '../api-keys/create-key.ts';
import { revokeApiKey } from '../api-keys/revoke-key.ts';
import { runBilling } from '../billing-runs/run-billing.ts';
import type { Ctx } from '../context.ts';
import { migrate } from '../db/migrate.ts';
import { toAccountView, toApiKeyView, toBillingRunView } from '../http/backend/views.ts';
import { isIsoDate } from '../shared/dates.ts';
import { DomainError } from '../shared/errors.ts';
import type { CliIO } from './io.ts';

export interface CliEnv {
  io: CliIO;
  /** The database context (opened on first use). */
  ctx(): Promise<Ctx>;
  /** Starts the HTTP server; absent when the command runs inside an already running server. */
  serve?: (options: { port?: number; host?: string }) => Promise<void>;
}

function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new DomainError('invalid_input', `${name} must be a positive whole number`, name);
    return n;
  };
}

function isoDate(value: string): string {
  if (!isIsoDate(value)) throw new DomainError('invalid_input', `"${value}" is not a date YYYY-MM-DD`, 'date');
  return value;
}

function printJson(io: CliIO, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}

export function buildProgram(env: CliEnv): Command {
  const { io } = env;
  const program = new Command('ringbill')
    .description('Ringbill: open-source call billing. Calls in, invoices out, money collected, everything exported.')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showHelpAfterError();

  program
    .command('serve')
    .description('Serve the API (PORT, default 8080) on the configured database, applying migrations first')
    .addOption(new Option('--port <port>', 'port to listen on (overrides PORT)').argParser(positiveInt('port')))
    .option('--host <host>', 'interface to listen on (overrides HOST)')
    .action(async (options: { port?: number; host?: string }) => {
      if (!env.serve) throw new DomainError('conflict', 'a Ringbill server is already running on this data folder');
      await env.serve(options);
    });

  program
    .command('migrate')
    .description('Apply pending database migrations')
    .action(async () => {
      const ctx = await env.ctx();
      const result = await migrate(ctx.database);
      if (result.applied.length === 0) io.out(`Database is up to date (schema version ${result.current}).`);
      for (const m of result.applied) io.out(`Applied migration ${m.version} ${m.name}`);
    });

  const accounts = program.command('accounts').description('Accounts (tenants)');
  accounts
    .command('create')
    .description('Create an account and its first API key (level 5, shown once)')
    .requiredOption('--name <name>', 'account name')
    .option('--timezone <iana>', 'IANA timezone, e.g. Europe/London (default UTC)')
    .option('--currency <iso>', 'ISO 4217 currency, e.g. GBP (default GBP)')
    .option('--json', 'print JSON')
    .action(async (options: { name: string; timezone?: string; currency?: string; json?: boolean }) => {
      const ctx = await env.ctx();
      const { account, apiKey } = await createAccount(ctx, {
        name: options.name,
        ...(options.timezone !== undefined ? { timezone: options.timezone } : {}),
        ...(options.currency !== undefined ? { currency: options.currency } : {}),
      });
      if (options.json) {
        printJson(io, { account: toAccountView(account), apiKey: { ...toApiKeyView(apiKey.row), key: apiKey.key } });
        return;
      }
      io.out(`Account ${account.id} "${account.name}" created (${account.timezone}, ${account.currency}).`);
      io.out(`API key ${apiKey.row.id} (level ${apiKey.row.level}). It is shown once; store it now:`);
      io.out(`  ${apiKey.key}`);
    });
  accounts
    .command('list')
    .description('List accounts')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const ctx = await env.ctx();
      const rows = await listAccounts(ctx.db, 10_000);
      if (options.json) return printJson(io, rows.map(toAccountView));
      for (const a of rows) io.out(`${a.id}\t${a.name}\t${a.timezone}\t${a.currency}`);
    });

  const keys = program.command('keys').description('API keys');
  keys
    .command('create')
    .description('Create an API key for an account (shown once)')
    .requiredOption('--account <id>', 'account id', positiveInt('account'))
    .requiredOption('--level <level>', 'key level, 1 (read) to 5 (expert)', positiveInt('level'))
    .option('--name <name>', 'a name to recognise the key by')
    .option('--json', 'print JSON')
    .action(async (options: { account: number; level: number; name?: string; json?: boolean }) => {
      const ctx = await env.ctx();
      const created = await createApiKey(ctx, options.account, { level: options.level, name: options.name ?? null });
      if (options.json) return printJson(io, { ...toApiKeyView(created.row), key: created.key });
      io.out(`API key ${created.row.id} (level ${created.row.level}) for account ${options.account}. It is shown once; store it now:`);
      io.out(`  ${created.key}`);
    });
  keys
    .command('revoke')
    .description('Revoke an API key')
    .requiredOption('--account <id>', 'account id', positiveInt('account'))
    .requiredOption('--key <id>', 'the API key id', positiveInt('key'))
    .action(async (options: { account: number; key: number }) => {
      const ctx = await env.ctx();
      const row = await revokeApiKey(ctx, options.account, options.key);
      io.out(`API key ${row.id} revoked.`);
    });

  program
    .command('bill')
    .description("Run billing: complete every customer's invoice for the cut-off date")
    .requiredOption('--account <id>', 'account id', positiveInt('account'))
    .requiredOption('--cutoff <date>', 'cut-off date YYYY-MM-DD', isoDate)
    .option('--json', 'print the billing run as JSON')
    .action(async (options: { account: number; cutoff: string; json?: boolean }) => {
      const ctx = await env.ctx();
      let started = false;
      const run = await runBilling(ctx, options.account, { cutoffDate: options.cutoff }, (p) => {
        if (!started) {
          io.progress({ kind: 'start', total: p.customersTotal, value: 0, label: 'Billing' });
          started = true;
        }
        io.progress({ kind: 'update', value: p.customersDone });
      }).finally(() => {
        if (started) io.progress({ kind: 'stop' });
      });
      if (options.json) return printJson(io, toBillingRunView(run));
      io.out(
        `Billing run ${run.id} for cut-off ${run.cutoff_date}: ${run.customers_billed} customer invoice(s) completed, ${run.invoices_created} new.`,
      );
    });

  return program;
}

/** Runs the program; returns the exit code. Expected failures print one line, not a stack trace. */
export async function runProgram(env: CliEnv, argv: string[]): Promise<number> {
  const program = buildProgram(env);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof DomainError) {
      env.io.err(`error: ${error.message}`);
      return 1;
    }
    env.io.err(`error: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}
