// Benchmark of the reading side of `ringbill import calls` alone: a CDR file read, split into records,
// mapped by its format's reader and checked (parseCall), with no database. What is left out (allocation,
// rating, the COPY text, the writes) is the same work whatever the format, so this shows what a switch
// format costs over Ringbill's own CSV. CPU time of the process (process.cpuUsage), formats interleaved
// over rounds, medians.
//
//   npx tsx bench/ingest.ts --format all --only pglite --lines 200000 --no-reimport --keep DIR   (makes the files)
//   npx tsx bench/ingest-read.ts --dir DIR [--rounds 5] [--format ringbill,asterisk,…]
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseCall } from '../src/calls/call-input.ts';
import { readCsvRecords } from '../src/calls/csv-records.ts';
import { chooseCsvReader } from '../src/calls/formats/detect.ts';
import { NumberReader } from '../src/shared/number-plan.ts';
import type { Emit, FormatContext, RecordReader, SwitchFormat } from '../src/calls/formats/record.ts';
import { IsoWriter } from '../src/calls/formats/switch-time.ts';
import { callColumns } from '../src/calls/import-calls.ts';
import { LocalClock } from '../src/rating/bands.ts';
import { hasNul } from '../src/shared/nul.ts';

const { values: args } = parseArgs({
  options: {
    dir: { type: 'string' },
    rounds: { type: 'string', default: '5' },
    format: { type: 'string', default: 'ringbill,asterisk,freeswitch,opensips,cgrates' },
  },
});
if (args.dir === undefined) throw new Error('--dir: the directory bench/ingest.ts --keep wrote the files to');
const FORMATS = args.format.split(',').map((f) => f.trim());
const ROUNDS = Math.max(1, Number(args.rounds));

function lineText(raw: string): string {
  return raw.replace(/^[\r\n]+/, '').replace(/[\r\n]+$/, '');
}

interface Run {
  records: number;
  calls: number;
  refused: number;
  cpuMs: number;
  wallMs: number;
}

async function readOnce(format: string, path: string): Promise<Run> {
  const clock = new LocalClock('UTC');
  const account = new LocalClock('Europe/London');
  const ctx: FormatContext = {
    clock,
    numbers: new NumberReader({
      country: null,
      internationalPrefixes: ['00'],
      techPrefixes: [],
      extensionMaxDigits: 4,
    }),
    iso: new IsoWriter(),
  };
  let reader: RecordReader<string[]> | undefined;
  const run: Run = { records: 0, calls: 0, refused: 0, cpuMs: 0, wallMs: 0 };
  const emit: Emit = {
    call(call) {
      try {
        parseCall(call, format === 'ringbill' ? account : clock);
        run.calls += 1;
      } catch {
        run.refused += 1;
      }
      return undefined;
    },
    refuse() {
      run.refused += 1;
    },
    combined() {},
  };
  const cpu = process.cpuUsage();
  const wall = process.hrtime.bigint();
  const input = createReadStream(path, { highWaterMark: 256 * 1024 });
  await readCsvRecords(input as AsyncIterable<Buffer>, {
    record(record, line, raw) {
      if (reader === undefined) {
        if (format === 'ringbill') {
          const at = (field: string) => callColumns(record).find((c) => c.field === field)?.index ?? -1;
          const [id, from, to, start, duration, status, direction, carrier] = [
            'call_id',
            'from',
            'to',
            'start_time',
            'duration_s',
            'status',
            'direction',
            'carrier',
          ].map<number>(at);
          // As import-calls.ts's callPicker: one object shape for every record.
          reader = {
            add: (r, l, text, e) =>
              e.call(
                {
                  call_id: r[id!],
                  from: r[from!],
                  to: r[to!],
                  start_time: r[start!],
                  duration_s: r[duration!],
                  status: r[status!],
                  direction: r[direction!],
                  carrier: r[carrier!],
                  recording_url: undefined,
                  transcription_url: undefined,
                  confidence_score: undefined,
                  voice_agent_id: undefined,
                },
                l,
                text,
              ),
            end() {},
          };
          return undefined;
        }
        const chosen = chooseCsvReader(record, format as SwitchFormat, ctx);
        reader = chosen.reader;
        if (chosen.header) return undefined;
      }
      run.records += 1;
      const text = () => lineText(raw);
      if (hasNul(raw)) {
        run.refused += 1;
        return undefined;
      }
      return reader.add(record, line, text, emit);
    },
    skip() {
      run.refused += 1;
    },
  });
  const used = process.cpuUsage(cpu);
  run.cpuMs = (used.user + used.system) / 1000;
  run.wallMs = Number(process.hrtime.bigint() - wall) / 1e6;
  return run;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const cpu = new Map<string, number[]>();
const wall = new Map<string, number[]>();
const files = new Map<string, { path: string; bytes: number }>();
for (const format of FORMATS) {
  const path = join(args.dir, `cdrs-${format}.csv`);
  files.set(format, { path, bytes: (await stat(path)).size });
}
// A round of warm-up, not counted.
for (const format of FORMATS) await readOnce(format, files.get(format)!.path);
for (let round = 0; round < ROUNDS; round++) {
  for (const format of FORMATS) {
    const run = await readOnce(format, files.get(format)!.path);
    cpu.set(format, [...(cpu.get(format) ?? []), run.cpuMs]);
    wall.set(format, [...(wall.get(format) ?? []), run.wallMs]);
    if (round === 0)
      console.log(`  ${format}: ${run.records} records, ${run.calls} calls, ${run.refused} refused`);
  }
}
const reference = median(cpu.get('ringbill') ?? [Number.NaN]);
console.log('| format | MB | CPU ms (median) | wall ms (median) | CPU vs ringbill | CPU rounds |');
console.log('| --- | ---: | ---: | ---: | ---: | --- |');
for (const format of FORMATS) {
  const c = median(cpu.get(format)!);
  console.log(
    `| ${format} | ${(files.get(format)!.bytes / 1e6).toFixed(0)} | ${c.toFixed(0)} | ${median(wall.get(format)!).toFixed(0)} | ${format === 'ringbill' ? '(reference)' : `${((c / reference - 1) * 100).toFixed(1)}%`} | ${cpu
      .get(format)!
      .map((x) => x.toFixed(0))
      .join(' ')} |`,
  );
}
