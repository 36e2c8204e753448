// Entry point of the `ringbill` command.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Config, ConfigError, configEnv, loadConfig } from '../config.ts';
import { createCtx, type Ctx } from '../context.ts';
import type { Database } from '../db/connection.ts';
import { DataDirLockedError, displayPath } from '../db/data-dir.ts';
import { openConfiguredDatabase } from '../db/open.ts';
import { type ProcessLease, startProcessLease } from '../recovery/lease.ts';
import type { Recovered } from '../recovery/recover-orphans.ts';
import { setTestHolds } from '../shared/test-hold.ts';
import { runInServer, ServerStoppedError } from './control.ts';
import { createMailer } from '../email/mailer.ts';
import { REACTIONS } from '../reactions.ts';
import { terminalIO } from './io.ts';
import { runProgram } from './program.ts';
import { serve } from './serve.ts';
import { ringbillServerAt } from './server-probe.ts';

// `import rates|calls FILE`: the file is read by whichever process runs the command (possibly the server),
// so its path is made absolute here, against the directory the user typed it in. FILE is the first
// argument after `import KIND` that is neither an option nor an option's value (it may follow the options).
const IMPORT_OPTIONS_WITH_VALUE = new Set(['--account', '--rate-card', '--effective-from']);
function withAbsoluteImportFile(args: string[]): string[] {
  if (args[0] !== 'import') return args;
  const out = [...args];
  for (let i = 2; i < out.length; i++) {
    const arg = out[i]!;
    if (arg === '--') {
      if (i + 1 < out.length) out[i + 1] = resolve(out[i + 1]!);
      break;
    }
    if (arg.startsWith('-')) {
      if (IMPORT_OPTIONS_WITH_VALUE.has(arg)) i++;
      continue;
    }
    out[i] = resolve(arg);
    break;
  }
  return out;
}
const argv = withAbsoluteImportFile(process.argv.slice(2));
const io = terminalIO();
// Output piped into a command that stops reading (`| head`): stop quietly, as other tools do.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

function configOrExit(): Config {
  try {
    // The environment, over a .env file in this folder: the server and every command read the same one.
    return loadConfig(configEnv());
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.err(`error: ${error.message}`);
    process.exit(1);
  }
}
const config = configOrExit();
setTestHolds(config.testHolds);

const wantsHelp =
  argv.length === 0 ||
  argv.some((a) => a === '--help' || a === '-h' || a === 'help' || a === '--version' || a === '-V');
const isServe = argv[0] === 'serve';
/** The command as typed, for the lock file and the processes table ("ringbill import calls"). */
const firstOption = argv.findIndex((a) => a.startsWith('-'));
const commandName = ['ringbill', ...argv.slice(0, firstOption === -1 ? 2 : Math.min(firstOption, 2))].join(
  ' ',
);

/** Said, not done: one line, exit 1. */
class Refusal extends Error {}

/**
 * A command about to create a new embedded database while a Ringbill server answers on the configured
 * port is configured differently from that server (the server has DATABASE_URL or another data folder):
 * it says so instead of making a database nobody serves.
 */
async function refuseNewDatabaseBesideServer(): Promise<void> {
  if (config.databaseUrl || existsSync(join(config.dataDir, 'pgdata'))) return;
  const server = await ringbillServerAt(config.host, config.port);
  if (!server) return;
  const where =
    server.database === 'postgres' ? 'on PostgreSQL' : 'on an embedded database in another folder';
  const fix =
    server.database === 'postgres'
      ? 'set DATABASE_URL as the server has it'
      : 'set RINGBILL_DATA_DIR as the server has it';
  throw new Refusal(
    `a Ringbill server answers on port ${config.port} (${where}), but this command would create a new embedded database in ${displayPath(config.dataDir)}; ` +
      `${fix} (a .env file in this folder is read by both), then run it again`,
  );
}

function describeRecovered(recovered: Recovered): void {
  for (const { accountId, runId } of recovered.interruptedRuns) {
    io.err(
      `note: billing run ${runId} of account ${accountId} was interrupted when its process stopped; "ringbill bill --account ${accountId} --resume ${runId}" finishes it`,
    );
  }
}

async function main(): Promise<number> {
  // On the embedded database, a running server owns the data folder: run the command inside it.
  if (!config.databaseUrl && !wantsHelp && !isServe) {
    const code = await runInServer(config.dataDir, argv, io);
    if (code !== undefined) return code;
    await refuseNewDatabaseBesideServer();
  }
  let database: Database | undefined;
  let lease: ProcessLease | undefined;
  let ctx: Ctx | undefined;
  const code = await runProgram(
    {
      io,
      ctx: async () => {
        if (!ctx) {
          const migrating = argv[0] === 'migrate';
          database = await openConfiguredDatabase(config, {
            migrate: !migrating,
            holder: { role: 'command', command: commandName },
          });
          ctx = createCtx(
            database,
            undefined,
            {
              mailer: createMailer({ smtpUrl: config.smtpUrl, dataDir: config.dataDir }),
              reactions: REACTIONS,
              outbound: { allowPrivateNetworks: config.webhookAllowPrivateNetworks },
            },
            { leaseSeconds: config.processLeaseSeconds },
          );
          // `migrate` runs before the processes table may exist; every other command holds a lease.
          if (!migrating) {
            lease = await startProcessLease(ctx, {
              role: 'command',
              description: commandName,
              leaseSeconds: config.processLeaseSeconds,
              onRecovered: describeRecovered,
            });
          }
        }
        return ctx;
      },
      serve: (options) => serve(config, options),
      baseUrl: config.publicUrl ?? `http://localhost:${config.port}`,
    },
    argv,
  );
  if (!isServe) {
    try {
      await lease?.stop();
    } finally {
      await database?.close();
    }
  }
  return code;
}

/** What the data folder's holder should do, after the lock's own "a Ringbill server (…) is using ./data". */
function lockedAdvice(error: DataDirLockedError): string {
  if (isServe) {
    return error.holder?.role === 'server'
      ? `; stop it first (kill ${error.holder.pid}) or give this server another RINGBILL_DATA_DIR`
      : '; wait for it to finish, then start the server';
  }
  // A command meets the lock only when the server is not (yet) taking commands on its socket.
  return error.holder?.role === 'server'
    ? ' and is not taking commands yet (starting, or stopping); try again once it is up'
    : '; wait for it to finish';
}

main().then(
  (code) => {
    if (!isServe || code !== 0) process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof DataDirLockedError) {
      io.err(`error: ${error.message}${lockedAdvice(error)}`);
    } else if (
      error instanceof ServerStoppedError ||
      error instanceof Refusal ||
      error instanceof ConfigError
    ) {
      io.err(`error: ${error.message}`);
    } else {
      io.err(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
    process.exitCode = 1;
  },
);
