// The `ringbill` command's subcommands. Each calls the same use cases as the HTTP routes.
import { Command, CommanderError, Option } from 'commander';
import { createAccount } from '../api-keys/create-account.ts';
import { listAccounts } from '../accounts/repo.ts';
import { createApiKey } from '../api-keys/create-key.ts';
import { revokeApiKey } from '../api-keys/revoke-key.ts';
import { resumeBilling } from '../billing-runs/resume-billing.ts';
import { type BillingProgress, runBilling } from '../billing-runs/run-billing.ts';
import type { Ctx } from '../context.ts';
import { DataDirLockedError } from '../db/data-dir.ts';
import { migrate } from '../db/migrate.ts';
import { toAccountView, toApiKeyView } from '../http/kit/views/accounts.ts';
import { toBillingRunView } from '../http/kit/views/billing-runs.ts';
import { toRateCardView } from '../http/kit/views/rate-cards.ts';
import { isIsoDate } from '../shared/dates.ts';
import { DomainError } from '../shared/errors.ts';
import type { CliIO } from './io.ts';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { importCallsFile } from '../calls/import-file.ts';
import type { CallImportSummary } from '../calls/import-calls.ts';
import { CALL_FILE_FORMATS } from '../calls/formats/record.ts';
import type { IngestSummary } from '../calls/ingest.ts';
import { rerateCalls } from '../invoices/rerate.ts';
import { importRates } from '../rate-cards/import-rates.ts';
import { parseRatesCsv } from '../rate-cards/rate-csv.ts';
import { createConsoleUser } from '../console-users/manage-users.ts';
import { ROLE_LABEL } from '../console-users/roles.ts';
import { audited, cliAudit } from './audit.ts';

export interface CliEnv {
  io: CliIO;
  /** The database context (opened on first use). */
  ctx(): Promise<Ctx>;
  /** Starts the HTTP server; absent when the command runs inside an already running server. */
  serve?: (options: { port?: number; host?: string }) => Promise<void>;
  /** The server's base URL (PUBLIC_URL, or http://localhost:PORT), for links the commands print. */
  baseUrl?: string | undefined;
}

function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1)
      throw new DomainError('invalid_input', `${name} must be a positive whole number`, name);
    return n;
  };
}

function isoDate(value: string): string {
  if (!isIsoDate(value))
    throw new DomainError('invalid_input', `"${value}" is not a date YYYY-MM-DD`, 'date');
  return value;
}

function printJson(io: CliIO, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}

export function buildProgram(env: CliEnv): Command {
  const { io } = env;
  const program = new Command('ringbill')
    .description(
      'Ringbill: open-source call billing. Calls in, invoices out, money collected, everything exported.',
    )
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showHelpAfterError();

  program
    .command('serve')
    .description('Serve the API (PORT, default 8080) on the configured database, applying migrations first')
    .addOption(
      new Option('--port <port>', 'port to listen on (overrides PORT)').argParser(positiveInt('port')),
    )
    .option('--host <host>', 'interface to listen on (overrides HOST)')
    .action(async (options: { port?: number; host?: string }) => {
      if (!env.serve)
        throw new DomainError('conflict', 'a Ringbill server is already running on this data folder');
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
        printJson(io, {
          account: toAccountView(account),
          apiKey: { ...toApiKeyView(apiKey.row), key: apiKey.key },
        });
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

  const users = program.command('users').description('Console users (the operator console at /console)');
  users
    .command('create')
    .description('Create a console user and print a one-time link to set the password (works for 72 hours)')
    .requiredOption('--account <id>', 'account id', positiveInt('account'))
    .requiredOption('--email <email>', "the user's email address")
    .requiredOption('--role <role>', 'viewer, billing, admin or owner')
    .option('--name <name>', "the user's name (default: from the email address)")
    .option(
      '--base-url <url>',
      "the console's base URL for the link (default: PUBLIC_URL or http://localhost:PORT)",
    )
    .option('--json', 'print JSON')
    .action(
      async (options: {
        account: number;
        email: string;
        role: string;
        name?: string;
        baseUrl?: string;
        json?: boolean;
      }) => {
        const ctx = await env.ctx();
        const created = await audited(
          ctx,
          options.account,
          () =>
            createConsoleUser(ctx, options.account, {
              email: options.email,
              name: options.name,
              role: options.role,
            }),
          (made) =>
            cliAudit('users create', {
              action: 'create',
              resource: 'users',
              resourceId: made.user.id,
              changes: { email: made.user.email, role: made.user.role },
            }),
        );
        const link = `${(options.baseUrl ?? env.baseUrl ?? 'http://localhost:8080').replace(/\/+$/, '')}${created.setUpPath}`;
        if (options.json)
          return printJson(io, {
            id: created.user.id,
            accountId: options.account,
            email: created.user.email,
            name: created.user.name,
            role: created.user.role,
            setUpLink: link,
          });
        io.out(
          `Console user ${created.user.id} (${created.user.email}) in account ${options.account}: ${ROLE_LABEL[created.user.role]}.`,
        );
        io.out('Open this one-time link to choose a password (it works once, for 72 hours):');
        io.out(`  ${link}`);
      },
    );

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
      const created = await audited(
        ctx,
        options.account,
        () => createApiKey(ctx, options.account, { level: options.level, name: options.name ?? null }),
        (made) =>
          cliAudit('keys create', {
            action: 'create',
            resource: 'apiKeys',
            resourceId: made.row.id,
            changes: { level: made.row.level, name: made.row.name },
          }),
      );
      if (options.json) return printJson(io, { ...toApiKeyView(created.row), key: created.key });
      io.out(
        `API key ${created.row.id} (level ${created.row.level}) for account ${options.account}. It is shown once; store it now:`,
      );
      io.out(`  ${created.key}`);
    });
  keys
    .command('revoke')
    .description('Revoke an API key')
    .requiredOption('--account <id>', 'account id', positiveInt('account'))
    .requiredOption('--key <id>', 'the API key id', positiveInt('key'))
    .action(async (options: { account: number; key: number }) => {
      const ctx = await env.ctx();
      const row = await audited(
        ctx,
        options.account,
        () => revokeApiKey(ctx, options.account, options.key),
        (revoked) =>
          cliAudit('keys revoke', { action: 'revoke', resource: 'apiKeys', resourceId: revoked.id }),
      );
      io.out(`API key ${row.id} revoked.`);
    });

  program
    .command('bill')
    .description(
      "Run billing: complete every customer's invoice for the cut-off date; or finish a run that stopped part-way (--resume)",
    )
    .requiredOption('--account <id>', 'account id', positiveInt('account'))
    .option('--cutoff <date>', 'cut-off date YYYY-MM-DD (a new run)', isoDate)
    .option(
      '--resume <run>',
      'finish this interrupted or failed billing run instead (its own cut-off)',
      positiveInt('resume'),
    )
    .option('--json', 'print the billing run as JSON')
    .action(async (options: { account: number; cutoff?: string; resume?: number; json?: boolean }) => {
      if ((options.cutoff === undefined) === (options.resume === undefined)) {
        throw new DomainError(
          'invalid_input',
          'give either --cutoff DATE (a new run) or --resume RUN (finish a run that stopped)',
          'cutoff',
        );
      }
      const ctx = await env.ctx();
      let started = false;
      const onProgress = (p: BillingProgress) => {
        if (!started) {
          io.progress({
            kind: 'start',
            total: p.customersTotal,
            value: 0,
            label: options.resume ? `Resuming run ${options.resume}` : 'Billing',
          });
          started = true;
        }
        io.progress({ kind: 'update', value: p.customersDone });
      };
      const run = await (
        options.resume !== undefined
          ? resumeBilling(
              ctx,
              options.account,
              options.resume,
              onProgress,
              cliAudit('bill --resume', {
                action: 'resume',
                resource: 'billingRuns',
                resourceId: options.resume,
              }),
            )
          : runBilling(
              ctx,
              options.account,
              {
                cutoffDate: options.cutoff!,
                audit: cliAudit('bill', {
                  action: 'create',
                  resource: 'billingRuns',
                  changes: { cutoffDate: options.cutoff! },
                }),
              },
              onProgress,
            )
      ).finally(() => {
        if (started) io.progress({ kind: 'stop' });
      });
      if (options.json) return printJson(io, toBillingRunView(run));
      io.out(
        `Billing run ${run.id} for cut-off ${run.cutoff_date}: ${run.customers_billed} customer(s) billed, ${run.invoices_completed} invoice(s) completed, ${run.invoices_created} of them new.`,
      );
    });

  const imports = program.command('import').description('Load files: rate cards and call records (CDRs)');
  imports
    .command('rates')
    .description(
      'Load a rate card from CSV (prefix,destination,rate_per_minute,connection_fee,minimum_charge,initial_increment_s,subsequent_increment_s[,band,cost_per_minute]); it replaces the rates in force from the effective date',
    )
    .argument('<file>', 'the CSV file')
    .requiredOption('--account <id>', 'account id', positiveInt('account'))
    .requiredOption('--rate-card <name>', 'the rate card (made if it does not exist)')
    .option(
      '--effective-from <date>',
      "the date the rates apply from (default: a card's first rates from the start of time, later ones from today)",
      isoDate,
    )
    .option(
      '--default',
      "make it the account's default rate card (the account's first card is its default anyway)",
    )
    .option('--json', 'print the result as JSON')
    .action(
      async (
        file: string,
        options: {
          account: number;
          rateCard: string;
          effectiveFrom?: string;
          default?: boolean;
          json?: boolean;
        },
      ) => {
        const ctx = await env.ctx();
        const rows = parseRatesCsv(await readFile(file, 'utf8'));
        const { result, waiting } = await audited(
          ctx,
          options.account,
          async () => {
            const imported = await importRates(ctx, options.account, { name: options.rateCard }, rows, {
              effectiveFrom: options.effectiveFrom,
              makeDefault: options.default,
              source: basename(file),
            });
            return {
              result: imported,
              waiting: await rerateCalls(ctx, options.account, { onlyWaiting: true }),
            };
          },
          ({ result: imported }) =>
            cliAudit('import rates', {
              action: 'importRates',
              resource: 'rateCards',
              resourceId: imported.rateCard.id,
              changes: {
                source: basename(file),
                imported: imported.imported,
                refused: imported.rejected.length,
                effectiveFrom: imported.effectiveFrom,
              },
            }),
        );
        if (options.json) {
          return printJson(io, {
            rateCard: toRateCardView(result.rateCard),
            effectiveFrom: result.effectiveFrom,
            imported: result.imported,
            rejected: result.rejected.map((r) => ({ line: r.line, reason: r.reason })),
            waitingCallsRated: waiting.rated,
          });
        }
        io.out(
          `Rate card ${result.rateCard.id} "${result.rateCard.name}"${result.rateCard.is_default ? ' (default)' : ''}: ${result.imported} rates ${result.effectiveFrom === null ? 'from the start (no effective date)' : `from ${result.effectiveFrom}`}, ${result.rejected.length} refused.`,
        );
        for (const r of result.rejected.slice(0, 20)) io.out(`  line ${r.line}: ${r.reason}`);
        if (result.rejected.length > 20)
          io.out(`  … and ${result.rejected.length - 20} more (GET /backend/api/v1/rateCards/rejected)`);
        if (waiting.rated > 0)
          io.out(`${waiting.rated} call(s) that were waiting for a price are now rated.`);
      },
    );
  imports
    .command('calls')
    .description(
      "Load call records, rating each; calls already loaded are skipped. Ringbill's CSV (call_id,from,to,start_time,duration_s,status[,direction,carrier,recording_url,transcription_url,confidence_score,voice_agent_id]) by default, or a switch's own records with --format",
    )
    .argument('<file>', 'the file (CSV, or JSON for FreeSWITCH mod_json_cdr and Asterisk/CGRateS JSON)')
    .requiredOption('--account <id>', 'account id', positiveInt('account'))
    .addOption(
      new Option('--format <format>', "the file's format (auto: detect it and say which)")
        .choices([...CALL_FILE_FORMATS])
        .default('ringbill'),
    )
    .option(
      '--timezone <iana>',
      "the switch's time zone, for local times without an offset (default: the account's cdrTimezone, else its timezone)",
    )
    .option(
      '--country <cc>',
      "the country whose national numbers the switch writes, e.g. GB (default: the account's cdrCountry)",
    )
    .option(
      '--international-prefixes <list>',
      "prefixes meaning an international number follows, comma-separated, e.g. 00,011 (default: the account's, else 00)",
    )
    .option(
      '--tech-prefixes <list>',
      "routing prefixes to strip from numbers, comma-separated (default: the account's)",
    )
    .option(
      '--extension-digits <n>',
      "digits-only numbers this short are internal extensions (default: the account's, else 4)",
    )
    .addOption(
      new Option(
        '--internal-calls <what>',
        'records that are not calls to bill: refuse them, or store them as internal calls',
      ).choices(['refuse', 'store']),
    )
    .option('--json', 'print the summary as JSON')
    .action(
      async (
        file: string,
        options: {
          account: number;
          format: string;
          timezone?: string;
          country?: string;
          internationalPrefixes?: string;
          techPrefixes?: string;
          extensionDigits?: string;
          internalCalls?: string;
          json?: boolean;
        },
      ) => {
        const ctx = await env.ctx();
        let started = false;
        const summary = await importCallsFile(
          ctx,
          options.account,
          file,
          (p) => {
            if (!started) {
              io.progress({ kind: 'start', total: Math.max(p.bytesTotal, 1), value: 0, label: 'Importing' });
              started = true;
            }
            io.progress({ kind: 'update', value: p.bytesRead });
          },
          {
            format: options.format,
            timezone: options.timezone,
            country: options.country,
            internationalPrefixes: options.internationalPrefixes,
            techPrefixes: options.techPrefixes,
            extensionMaxDigits: options.extensionDigits,
            internalCalls: options.internalCalls,
            audit: cliAudit('import calls', {
              action: 'create',
              resource: 'files',
              changes: { format: options.format, source: basename(file) },
            }),
          },
        ).finally(() => {
          if (started) io.progress({ kind: 'stop' });
        });
        if (options.json) return printJson(io, summary);
        for (const line of describeIngest(summary)) io.out(line);
      },
    );

  program
    .command('rerate')
    .description(
      'Price calls again: unbilled ones in place, billed ones by an adjustment on the next invoice',
    )
    .requiredOption('--account <id>', 'account id', positiveInt('account'))
    .option('--from <date>', 'calls that started on or after this date (account time)', isoDate)
    .option('--to <date>', 'calls that started on or before this date (account time)', isoDate)
    .option('--json', 'print the summary as JSON')
    .action(async (options: { account: number; from?: string; to?: string; json?: boolean }) => {
      const ctx = await env.ctx();
      const summary = await audited(
        ctx,
        options.account,
        () => rerateCalls(ctx, options.account, { from: options.from, to: options.to }),
        (done) =>
          cliAudit('rerate', {
            action: 'rerate',
            resource: 'calls',
            changes: { from: options.from ?? null, to: options.to ?? null, changed: done.changed },
          }),
      );
      if (options.json) return printJson(io, summary);
      io.out(
        `Re-rated ${summary.calls} call(s): ${summary.changed} changed; ${summary.rated} rated, ${summary.free} free, ${summary.unrated} unrated, ${summary.unallocated} unallocated.`,
      );
      if (summary.adjustments > 0)
        io.out(
          `${summary.adjustments} adjustment(s) totalling ${summary.adjustmentTotal} on the customers' next invoices.`,
        );
      if (summary.invoicesUpdated > 0)
        io.out(`${summary.invoicesUpdated} unsent invoice(s) had their call charges summarised again.`);
    });

  return program;
}

/** The end-of-import summary, for people. */
export function describeIngest(
  s: IngestSummary &
    Partial<Pick<CallImportSummary, 'format' | 'formatDetail' | 'formatDetected' | 'combined'>>,
): string[] {
  const reasons = Object.entries(s.unratedReasons)
    .map(([reason, n]) => `${n} ${reason.replace(/_/g, ' ')}`)
    .join(', ');
  const lines: string[] = [];
  if (s.format !== undefined && s.format !== 'ringbill')
    lines.push(`${s.formatDetected ? 'Detected' : 'Format'}: ${s.formatDetail}.`);
  else if (s.formatDetected) lines.push(`Detected: ${s.formatDetail}.`);
  lines.push(
    `Read ${s.received} call record(s) from ${s.source}: ${s.inserted} new, ${s.duplicates} already loaded, ${s.rejected} refused${s.combined ? ` (and ${s.combined} line(s) joined to their call's first line)` : ''}.`,
    `Rated ${s.rated} (charges ${s.chargeTotal}), ${s.free} free (not completed), ${s.unrated} could not be priced${reasons ? ` (${reasons})` : ''}, ${s.unallocated} on numbers no feature has${s.internal ? `, ${s.internal} internal (not rated)` : ''}.`,
  );
  for (const r of s.rejections.slice(0, 20)) lines.push(`  line ${r.line}: ${r.reason}`);
  if (s.rejected > 20) lines.push(`  … ${s.rejected - 20} more refused: GET /backend/api/v1/calls/rejected`);
  return lines;
}

/** Runs the program; returns the exit code. Expected failures print one line, not a stack trace. */
export async function runProgram(env: CliEnv, argv: string[]): Promise<number> {
  const program = buildProgram(env);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    // The data folder is someone else's: the entry point says who, and what to do.
    if (error instanceof DataDirLockedError) throw error;
    if (error instanceof DomainError) {
      env.io.err(`error: ${error.message}`);
      return 1;
    }
    env.io.err(`error: ${describeError(error)}`);
    return 1;
  }
}

/** A file the user named that cannot be read is said plainly; anything else by its message. */
function describeError(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  if (e?.path !== undefined) {
    if (e.code === 'ENOENT') return `${e.path}: no such file`;
    if (e.code === 'EACCES') return `${e.path}: permission denied`;
    if (e.code === 'EISDIR') return `${e.path}: is a folder, not a file`;
  }
  return error instanceof Error ? error.message : String(error);
}
