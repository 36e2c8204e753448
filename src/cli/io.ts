// Where a command's output goes. Locally: the terminal, with a progress bar. Run inside the server for a
// CLI client (see control.ts): a stream of events the client replays on its own terminal.
import cliProgress from 'cli-progress';

export interface ProgressEvent {
  kind: 'start' | 'update' | 'stop';
  total?: number;
  value?: number;
  label?: string;
}

export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  progress(event: ProgressEvent): void;
}

/** Terminal output; the progress bar is drawn on stderr, so stdout stays clean for --json. */
export function terminalIO(): CliIO {
  let bar: cliProgress.SingleBar | undefined;
  return {
    out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    progress(event) {
      if (event.kind === 'start') {
        bar = new cliProgress.SingleBar(
          {
            format: `${event.label ?? 'progress'} [{bar}] {percentage}% | {value}/{total} | {duration_formatted}`,
            stream: process.stderr,
            noTTYOutput: false,
            hideCursor: true,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(event.total ?? 0, event.value ?? 0);
      } else if (event.kind === 'update') {
        bar?.update(event.value ?? 0);
      } else {
        bar?.stop();
        bar = undefined;
      }
    },
  };
}
