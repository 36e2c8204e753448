// The `ringbill` command run in-process through the CLI's program, on the harness's database: what a test
// needs when it is the command's effect that matters, not the process (test/integration/cli.test.ts runs
// real processes).
import { runProgram } from '../../src/cli/program.ts';
import type { Harness } from './harness.ts';

export interface CliRun {
  code: number;
  /** What it printed, one entry a printed line. */
  lines: string[];
  out: string;
  err: string;
}

/** Runs `ringbill ARGV` against the harness; its printed lines joined, and its exit code. */
export async function runCli(h: Harness, argv: string[], baseUrl?: string): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runProgram(
    {
      io: { out: (t) => out.push(t), err: (t) => err.push(t), progress: () => {} },
      ctx: async () => h.ctx,
      baseUrl,
    },
    argv,
  );
  return { code, lines: out, out: out.join('\n'), err: err.join('\n') };
}
