// Entry point of the `ringbill` command.
import { resolve } from 'node:path';
import { loadConfig } from '../config.ts';
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
// so its path is made absolute here, against the directory the user typed it in.
const argv = process.argv.slice(2).map((arg, i, all) => (i === 2 && all[0] === 'import' && !arg.startsWith('-') ? resolve(arg) : arg));
const config = loadConfig();
const io = terminalIO();

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
          ctx = createCtx(database, undefined, { mailer: createMailer({ smtpUrl: config.smtpUrl, dataDir: config.dataDir }) });
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
