// `ringbill import calls FILE`: a CDR file, streamed (constant memory however long the file), with
// progress by bytes read. Ringbill's CSV by default (call_id, from, to, start_time, duration_s, status,
// then any of direction, carrier, recording_url, transcription_url, confidence_score, voice_agent_id), or a
// switch's own records with `format` (see import-calls.ts).
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { AuditChange } from '../audit/record.ts';
import type { Ctx } from '../context.ts';
import type { SwitchOverrides } from './formats/switch-options.ts';
import { type CallImportSummary, importCallStream, type ImportProgress } from './import-calls.ts';

export type FileProgress = ImportProgress;
export { callColumns } from './import-calls.ts';

export async function importCallsFile(
  ctx: Ctx,
  accountId: number,
  path: string,
  onProgress: (progress: FileProgress) => void = () => {},
  options: SwitchOverrides & { format?: string | undefined; audit?: AuditChange | undefined } = {},
): Promise<CallImportSummary> {
  const { size } = await stat(path);
  const input = createReadStream(path, { highWaterMark: 256 * 1024 });
  try {
    return await importCallStream(
      ctx,
      accountId,
      input as AsyncIterable<Buffer>,
      { ...options, source: basename(path), sizeBytes: size },
      onProgress,
    );
  } finally {
    input.destroy();
  }
}
