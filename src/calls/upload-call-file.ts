// Stores a recording or transcription for a call; it is then served at the call's URL for it, to the
// account's keys only.
import type { Ctx } from '../context.ts';
import { DomainError, invalid } from '../shared/errors.ts';
import { putCallFile, type CallFileKind } from './files-repo.ts';
import { getCall } from './get-call.ts';
import type { CallWithFilesRow } from './repo.ts';

/** Upload size limits, in bytes: audio is large, text is not. */
export const MAX_CALL_FILE_BYTES: Record<CallFileKind, number> = {
  recording: 50 * 1024 * 1024,
  transcription: 5 * 1024 * 1024,
};

const MAX_CONTENT_TYPE_LENGTH = 255;
// type/subtype, then optional parameters (RFC 9110 tokens; parameters without control characters).
const MEDIA_TYPE = /^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+(\s*;[\x20-\x7e]*)?$/;

export interface CallFileUpload {
  kind: CallFileKind;
  contentType: string;
  content: Buffer;
}

/** Returns the call as it now is (its URL for this kind of file is the served one). */
export async function uploadCallFile(
  ctx: Ctx,
  accountId: number,
  callId: number,
  upload: CallFileUpload,
): Promise<{ timezone: string; call: CallWithFilesRow }> {
  const contentType = upload.contentType.trim();
  if (contentType.length > MAX_CONTENT_TYPE_LENGTH || !MEDIA_TYPE.test(contentType)) {
    throw invalid('Content-Type', 'must be a media type such as audio/mpeg or text/plain');
  }
  if (upload.content.length === 0) throw invalid('body', `the ${upload.kind} file is empty`);
  if (upload.content.length > MAX_CALL_FILE_BYTES[upload.kind]) {
    throw new DomainError('malformed_request', `the ${upload.kind} file is larger than ${MAX_CALL_FILE_BYTES[upload.kind]} bytes`);
  }
  const stored = await putCallFile(ctx.db, accountId, callId, { kind: upload.kind, contentType, content: upload.content });
  if (!stored) throw new DomainError('not_found', 'Call not found');
  return getCall(ctx, accountId, callId);
}
