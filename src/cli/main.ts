// Entry point of the `ringbill` command.
import { resolve } from 'node:path';
import { type Config, ConfigError, loadConfig } from '../config.ts';
import { createCtx, type Ctx } from '../context.ts';
import type { Database } from '../db/connection.ts';
import { DataDirLockedError } from '../db/data-dir.ts';
import { openConfiguredDatabase } from '../db/open.ts';
import { runInServer } from './control.ts';
import { createMailer } from '../delivery/mailer.ts';
import { terminalIO } from './io.ts';
import { runProgram } from './program.ts';
import { serve } from './serve.ts';

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
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.err(`error: ${error.message}`);
    process.exit(1);
  }
}
const config = configOrExit();

const wantsHelp = argv.length === 0 || argv.some((a) => a === '--help' || a === '-h' || a === 'help' || a === '--version' || a === '-V');
const isServe = argv[0] === 'serve';

async function main(): Promise<number> {
  // On the embedded database, a running server owns the data folder: run the command inside it.
  if (!config.databaseUrl && !wantsHelp && !isServe) {
    const code = await runInServer(config.dataDir, argv, io);
    if (code !== undefined) return code;
  }
  let database: Database | undefined;
  let ctx: Ctx | undefined;
  const code = await runProgram(
    {
      io,
      ctx: async () => {
        if (!ctx) {
          database = await openConfiguredDatabase(config, { migrate: argv[0] !== 'migrate' });
          ctx = createCtx(database, undefined, {
            mailer: createMailer({ smtpUrl: config.smtpUrl, dataDir: config.dataDir }),
            outbound: { allowPrivateNetworks: config.webhookAllowPrivateNetworks },
          });
        }
        return ctx;
      },
      serve: (options) => serve(config, options),
    },
    argv,
  );
  if (!isServe) await database?.close();
  return code;
}

main().then(
  (code) => {
    if (!isServe || code !== 0) process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof DataDirLockedError) {
      io.err(`error: ${error.message}. Is a Ringbill server starting? Try again in a moment.`);
    } else {
      io.err(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
    process.exitCode = 1;
  },
);
