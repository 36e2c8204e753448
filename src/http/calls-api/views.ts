// How calls look on the document 002 surface: prefixed string ids (call_…, inv_…, acc_…, agent_…), duration in
// seconds (how long the call lasted; billed_duration, an extension, is what it was billed for), confidence as a JSON number, times as ISO 8601 UTC to the second ("2024-01-15T10:30:00Z").
import type { z } from 'zod';
import type { CallFileKind } from '../../calls/files-repo.ts';
import type { CallWithFilesRow } from '../../calls/repo.ts';
import { assert } from '../../shared/errors.ts';
import type { apiCall } from './schemas.ts';

export const callRef = (id: number): string => `call_${id}`;
export const invoiceRef = (id: number): string => `inv_${id}`;
export const accountRef = (id: number): string => `acc_${id}`;

/** ISO 8601 in UTC to the second, as the document shows times; a fraction of a second is dropped. */
export function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The path an uploaded file is served at (under the /v1 prefix). */
export function callFilePath(callId: number, kind: CallFileKind): string {
  return `/v1/calls/${callRef(callId)}/${kind}`;
}

export { publicBaseUrl } from '../public-url.ts';

/**
 * A voice agent id in document 002's form, agent_…: a stored id given without the prefix ("bot7") gains
 * it, one that has it is as stored.
 */
export function agentRef(value: string | null): string | null {
  if (value === null) return null;
  return value.startsWith('agent_') ? value : `agent_${value}`;
}

export function toApiCall(
  row: CallWithFilesRow,
  context: { timezone: string; baseUrl: string },
): z.infer<typeof apiCall> {
  const confidence = row.confidence_score === null ? null : Number(row.confidence_score);
  assert(
    confidence === null || Number.isFinite(confidence),
    `confidence score of call ${row.id} is a number`,
  );
  return {
    id: callRef(row.id),
    invoice_id: row.invoice_id === null ? null : invoiceRef(row.invoice_id),
    duration: row.duration_s,
    status: row.status,
    from: row.from_number,
    to: row.to_number,
    transcription_url: row.has_transcription
      ? `${context.baseUrl}${callFilePath(row.id, 'transcription')}`
      : row.transcription_url,
    call_recording_url: row.has_recording
      ? `${context.baseUrl}${callFilePath(row.id, 'recording')}`
      : row.recording_url,
    confidence_score: confidence,
    voice_agent_id: agentRef(row.voice_agent_id),
    timezone: context.timezone,
    account_id: accountRef(row.account_id),
    created_time: isoSeconds(row.start_time),
    billed_duration: row.billable_s,
  };
}
