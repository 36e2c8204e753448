// An account's named documents (terms and conditions, price lists…) that the `email` action can attach
// by name. Uploaded as the raw request body with its Content-Type.
import type { Ctx } from '../context.ts';
import { DomainError, invalid, notFound } from '../shared/errors.ts';
import { unsupportedMediaType } from '../shared/media-type.ts';
import { checkName, checkNameFree } from './names.ts';
import {
  type AttachmentInfo,
  deleteNamed,
  findAttachment,
  insertAttachment,
  updateAttachment as updateRow,
} from '../delivery-settings/settings-repo.ts';

/** Mail servers commonly refuse messages over 10 to 25 MB; an attachment is at most 5 MB. */
export const MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024;

const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;
const EXTENSIONS: Record<string, string> = {
  'application/pdf': 'pdf',
  'text/plain': 'txt',
  'text/csv': 'csv',
  'text/html': 'html',
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'application/msword': 'doc',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.ms-excel': 'xls',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
};

export interface AttachmentUpload {
  name?: string | undefined;
  filename?: string | undefined;
  contentType: string;
  content: Buffer;
}

function mediaType(contentType: string): string {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (!MEDIA_TYPE.test(type))
    throw unsupportedMediaType(
      'send the file as the body with its Content-Type (application/pdf, text/plain…)',
    );
  return type;
}

function checkContent(content: Buffer): void {
  if (content.length === 0) throw invalid('body', 'the file is empty');
  if (content.length > MAX_ATTACHMENT_BYTES)
    throw invalid('body', `the file is larger than ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MB`);
}

/** A file name safe in a MIME header: no path, no control characters, at most 100 characters. */
function checkFilename(value: string): string {
  const filename = value.trim();
  // eslint-disable-next-line no-control-regex -- refusing control characters in a file name is the point
  if (filename.length === 0 || filename.length > 100 || /[\u0000-\u001f/\\"]/.test(filename)) {
    throw invalid('filename', 'must be 1 to 100 characters, without slashes, quotes or control characters');
  }
  return filename;
}

function defaultFilename(name: string, type: string): string {
  const base = name.replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '') || 'attachment';
  const ext = EXTENSIONS[type];
  return ext && !base.toLowerCase().endsWith(`.${ext}`) ? `${base}.${ext}` : base;
}

export async function createAttachment(
  ctx: Ctx,
  accountId: number,
  upload: AttachmentUpload,
): Promise<AttachmentInfo> {
  if (upload.name === undefined)
    throw new DomainError('missing_parameter', 'missing required parameter: name', 'name');
  const name = checkName(upload.name);
  const type = mediaType(upload.contentType);
  checkContent(upload.content);
  const filename =
    upload.filename === undefined ? defaultFilename(name, type) : checkFilename(upload.filename);
  return ctx.db.transaction().execute(async (trx) => {
    await checkNameFree(trx, 'attachments', accountId, name, []);
    const now = ctx.now();
    return insertAttachment(trx, {
      account_id: accountId,
      name,
      filename,
      content_type: type,
      content: upload.content,
      created_at: now,
      updated_at: now,
    });
  });
}

/** Replaces an attachment's file (and, if given, its name or file name). */
export async function replaceAttachment(
  ctx: Ctx,
  accountId: number,
  id: number,
  upload: AttachmentUpload,
): Promise<AttachmentInfo> {
  const name = upload.name === undefined ? undefined : checkName(upload.name);
  const type = mediaType(upload.contentType);
  checkContent(upload.content);
  return ctx.db.transaction().execute(async (trx) => {
    const current = await findAttachment(trx, accountId, id);
    if (!current) throw notFound('Attachment', id);
    if (name !== undefined) await checkNameFree(trx, 'attachments', accountId, name, [], id);
    const filename =
      upload.filename !== undefined
        ? checkFilename(upload.filename)
        : current.content_type === type
          ? current.filename
          : defaultFilename(name ?? current.name, type);
    const updated = await updateRow(trx, accountId, id, {
      ...(name !== undefined ? { name } : {}),
      filename,
      content_type: type,
      content: upload.content,
      updated_at: ctx.now(),
    });
    if (!updated) throw notFound('Attachment', id);
    return updated;
  });
}

export async function deleteAttachment(ctx: Ctx, accountId: number, id: number): Promise<void> {
  if (!(await deleteNamed(ctx.db, 'attachments', accountId, id))) throw notFound('Attachment', id);
}
