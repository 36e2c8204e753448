// The account's logo, printed at the top of every bill: a PNG or JPEG of at most 1 MB that the PDF
// renderer can read (checked by rendering it once, so a bill never fails on a bad logo).
import PDFDocument from 'pdfkit';
import type { Ctx } from '../context.ts';
import { accountChanged } from './account-cache.ts';
import type { AccountRow } from './repo.ts';
import { invalid, notFound } from '../shared/errors.ts';
import { unsupportedMediaType } from '../shared/media-type.ts';
import { updateAccount } from './repo.ts';

export const MAX_LOGO_BYTES = 1024 * 1024;
export const LOGO_TYPES = ['image/png', 'image/jpeg'] as const;

function sniff(content: Buffer): 'image/png' | 'image/jpeg' | undefined {
  if (
    content.length >= 8 &&
    content.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
  )
    return 'image/png';
  if (content.length >= 3 && content[0] === 0xff && content[1] === 0xd8 && content[2] === 0xff)
    return 'image/jpeg';
  return undefined;
}

async function renders(content: Buffer): Promise<boolean> {
  try {
    const doc = new PDFDocument({ size: 'A6', margin: 10 });
    const done = new Promise<void>((resolve, reject) => {
      doc.on('data', () => undefined);
      doc.on('end', resolve);
      doc.on('error', reject);
    });
    doc.image(content, 10, 10, { fit: [140, 60] });
    doc.end();
    await done;
    return true;
  } catch {
    return false;
  }
}

export async function setAccountLogo(
  ctx: Ctx,
  accountId: number,
  upload: { contentType: string | undefined; content: Buffer },
): Promise<AccountRow> {
  const declared = (upload.contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (!(LOGO_TYPES as readonly string[]).includes(declared)) {
    throw unsupportedMediaType('send the logo as the body with Content-Type: image/png or image/jpeg');
  }
  if (upload.content.length === 0) throw invalid('body', 'the image is empty');
  if (upload.content.length > MAX_LOGO_BYTES)
    throw invalid('body', `the image is larger than ${MAX_LOGO_BYTES / 1024} KB`);
  const actual = sniff(upload.content);
  if (actual !== declared)
    throw invalid('body', `the body is not a ${declared === 'image/png' ? 'PNG' : 'JPEG'} image`);
  if (!(await renders(upload.content)))
    throw invalid('body', 'the image cannot be read (damaged, or an unsupported PNG/JPEG variant)');
  const updated = await updateAccount(ctx.db, accountId, {
    logo: upload.content,
    logo_content_type: actual,
    updated_at: ctx.now(),
  });
  if (!updated) throw notFound('Account', accountId);
  accountChanged(ctx.database, accountId);
  return updated;
}

export async function removeAccountLogo(ctx: Ctx, accountId: number): Promise<AccountRow> {
  const updated = await updateAccount(ctx.db, accountId, {
    logo: null,
    logo_content_type: null,
    updated_at: ctx.now(),
  });
  if (!updated) throw notFound('Account', accountId);
  accountChanged(ctx.database, accountId);
  return updated;
}
