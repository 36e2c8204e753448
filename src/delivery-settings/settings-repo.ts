// SQL for the named things an account keeps for delivering invoices: bill styles, message templates,
// attachments and usage report profiles. Every query takes the account id.
import { sql } from 'kysely';
import type { Executor } from '../context.ts';
import { toPage, type Page, type PageRequest } from '../shared/pagination.ts';

export interface BillStyleRow {
  account_id: number;
  id: number;
  name: string;
  base: 'full' | 'summary';
  itemise_calls: boolean;
  show_call_summary: boolean;
  created_at: Date;
  updated_at: Date;
}

export interface MessageTemplateRow {
  account_id: number;
  id: number;
  name: string;
  subject: string;
  body: string;
  created_at: Date;
  updated_at: Date;
}

/** An attachment without its content (lists and answers never carry the file). */
export interface AttachmentInfo {
  account_id: number;
  id: number;
  name: string;
  filename: string;
  content_type: string;
  size: number;
  created_at: Date;
  updated_at: Date;
}

export interface UsageReportProfileRow {
  account_id: number;
  id: number;
  name: string;
  kind: 'calls_by_feature' | 'call_detail';
  created_at: Date;
  updated_at: Date;
}

type NamedTable = 'bill_styles' | 'message_templates' | 'attachments' | 'usage_report_profiles';

/** The id of the row of this name (any case), if there is one. */
export async function findIdByName(
  db: Executor,
  table: NamedTable,
  accountId: number,
  name: string,
): Promise<number | undefined> {
  const row = await db
    .selectFrom(table)
    .select('id')
    .where('account_id', '=', accountId)
    .where(sql<string>`lower(name)`, '=', name.toLowerCase())
    .executeTakeFirst();
  return row?.id;
}

/** The account's bill style of this name (any case). */
export async function findBillStyleByName(
  db: Executor,
  accountId: number,
  name: string,
): Promise<BillStyleRow | undefined> {
  return db
    .selectFrom('bill_styles')
    .selectAll()
    .where('account_id', '=', accountId)
    .where(sql<string>`lower(name)`, '=', name.toLowerCase())
    .executeTakeFirst();
}

/** The account's message template of this name (any case). */
export async function findMessageTemplateByName(
  db: Executor,
  accountId: number,
  name: string,
): Promise<MessageTemplateRow | undefined> {
  return db
    .selectFrom('message_templates')
    .selectAll()
    .where('account_id', '=', accountId)
    .where(sql<string>`lower(name)`, '=', name.toLowerCase())
    .executeTakeFirst();
}

/** The account's usage report profile of this name (any case). */
export async function findUsageReportProfileByName(
  db: Executor,
  accountId: number,
  name: string,
): Promise<UsageReportProfileRow | undefined> {
  return db
    .selectFrom('usage_report_profiles')
    .selectAll()
    .where('account_id', '=', accountId)
    .where(sql<string>`lower(name)`, '=', name.toLowerCase())
    .executeTakeFirst();
}

export async function deleteNamed(
  db: Executor,
  table: NamedTable,
  accountId: number,
  id: number,
): Promise<boolean> {
  const result = await db
    .deleteFrom(table)
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

// ---- bill styles

export async function listBillStyles(
  db: Executor,
  accountId: number,
  page: PageRequest,
): Promise<Page<BillStyleRow>> {
  let q = db.selectFrom('bill_styles').selectAll().where('account_id', '=', accountId);
  if (page.after !== undefined) q = q.where('id', '>', page.after);
  return toPage(
    await q
      .orderBy('id')
      .limit(page.limit + 1)
      .execute(),
    page.limit,
  );
}

export async function findBillStyle(
  db: Executor,
  accountId: number,
  id: number,
): Promise<BillStyleRow | undefined> {
  return db
    .selectFrom('bill_styles')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function insertBillStyle(
  db: Executor,
  row: {
    account_id: number;
    name: string;
    base: 'full' | 'summary';
    itemise_calls: boolean;
    show_call_summary: boolean;
    created_at: Date;
    updated_at: Date;
  },
): Promise<BillStyleRow> {
  return db.insertInto('bill_styles').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function updateBillStyle(
  db: Executor,
  accountId: number,
  id: number,
  values: Partial<Pick<BillStyleRow, 'name' | 'base' | 'itemise_calls' | 'show_call_summary'>> & {
    updated_at: Date;
  },
): Promise<BillStyleRow | undefined> {
  return db
    .updateTable('bill_styles')
    .set(values)
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

// ---- message templates

export async function listMessageTemplates(
  db: Executor,
  accountId: number,
  page: PageRequest,
): Promise<Page<MessageTemplateRow>> {
  let q = db.selectFrom('message_templates').selectAll().where('account_id', '=', accountId);
  if (page.after !== undefined) q = q.where('id', '>', page.after);
  return toPage(
    await q
      .orderBy('id')
      .limit(page.limit + 1)
      .execute(),
    page.limit,
  );
}

export async function findMessageTemplate(
  db: Executor,
  accountId: number,
  id: number,
): Promise<MessageTemplateRow | undefined> {
  return db
    .selectFrom('message_templates')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function insertMessageTemplate(
  db: Executor,
  row: {
    account_id: number;
    name: string;
    subject: string;
    body: string;
    created_at: Date;
    updated_at: Date;
  },
): Promise<MessageTemplateRow> {
  return db.insertInto('message_templates').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function updateMessageTemplate(
  db: Executor,
  accountId: number,
  id: number,
  values: Partial<Pick<MessageTemplateRow, 'name' | 'subject' | 'body'>> & { updated_at: Date },
): Promise<MessageTemplateRow | undefined> {
  return db
    .updateTable('message_templates')
    .set(values)
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

// ---- attachments

const ATTACHMENT_INFO = [
  'account_id',
  'id',
  'name',
  'filename',
  'content_type',
  sql<number>`octet_length(content)`.as('size'),
  'created_at',
  'updated_at',
] as const;

function info(row: Omit<AttachmentInfo, 'size'> & { size: number | string }): AttachmentInfo {
  return { ...row, size: Number(row.size) };
}

export async function listAttachments(
  db: Executor,
  accountId: number,
  page: PageRequest,
): Promise<Page<AttachmentInfo>> {
  let q = db.selectFrom('attachments').select(ATTACHMENT_INFO).where('account_id', '=', accountId);
  if (page.after !== undefined) q = q.where('id', '>', page.after);
  return toPage(
    (
      await q
        .orderBy('id')
        .limit(page.limit + 1)
        .execute()
    ).map(info),
    page.limit,
  );
}

export async function findAttachment(
  db: Executor,
  accountId: number,
  id: number,
): Promise<AttachmentInfo | undefined> {
  const row = await db
    .selectFrom('attachments')
    .select(ATTACHMENT_INFO)
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? info(row) : undefined;
}

export async function attachmentContent(
  db: Executor,
  accountId: number,
  id: number,
): Promise<{ filename: string; content_type: string; content: Buffer } | undefined> {
  const row = await db
    .selectFrom('attachments')
    .select(['filename', 'content_type', 'content'])
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? { ...row, content: Buffer.from(row.content) } : undefined;
}

export async function insertAttachment(
  db: Executor,
  row: {
    account_id: number;
    name: string;
    filename: string;
    content_type: string;
    content: Buffer;
    created_at: Date;
    updated_at: Date;
  },
): Promise<AttachmentInfo> {
  return info(
    await db.insertInto('attachments').values(row).returning(ATTACHMENT_INFO).executeTakeFirstOrThrow(),
  );
}

export async function updateAttachment(
  db: Executor,
  accountId: number,
  id: number,
  values: { name?: string; filename?: string; content_type?: string; content?: Buffer; updated_at: Date },
): Promise<AttachmentInfo | undefined> {
  const row = await db
    .updateTable('attachments')
    .set(values)
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .returning(ATTACHMENT_INFO)
    .executeTakeFirst();
  return row ? info(row) : undefined;
}

// ---- usage report profiles

export async function listUsageReportProfiles(
  db: Executor,
  accountId: number,
  page: PageRequest,
): Promise<Page<UsageReportProfileRow>> {
  let q = db.selectFrom('usage_report_profiles').selectAll().where('account_id', '=', accountId);
  if (page.after !== undefined) q = q.where('id', '>', page.after);
  return toPage(
    await q
      .orderBy('id')
      .limit(page.limit + 1)
      .execute(),
    page.limit,
  );
}

export async function findUsageReportProfile(
  db: Executor,
  accountId: number,
  id: number,
): Promise<UsageReportProfileRow | undefined> {
  return db
    .selectFrom('usage_report_profiles')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function insertUsageReportProfile(
  db: Executor,
  row: {
    account_id: number;
    name: string;
    kind: 'calls_by_feature' | 'call_detail';
    created_at: Date;
    updated_at: Date;
  },
): Promise<UsageReportProfileRow> {
  return db.insertInto('usage_report_profiles').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function updateUsageReportProfile(
  db: Executor,
  accountId: number,
  id: number,
  values: Partial<Pick<UsageReportProfileRow, 'name' | 'kind'>> & { updated_at: Date },
): Promise<UsageReportProfileRow | undefined> {
  return db
    .updateTable('usage_report_profiles')
    .set(values)
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

/** Named attachments, all of them or an error naming the first unknown one. */
export async function findAttachments(
  db: Executor,
  accountId: number,
  names: readonly string[],
): Promise<{
  found: { name: string; filename: string; content_type: string; content: Buffer }[];
  missing: string[];
}> {
  if (names.length === 0) return { found: [], missing: [] };
  const rows = await db
    .selectFrom('attachments')
    .select(['name', 'filename', 'content_type', 'content'])
    .where('account_id', '=', accountId)
    .where((eb) =>
      eb(
        eb.fn('lower', ['name']),
        'in',
        names.map((n) => n.toLowerCase()),
      ),
    )
    .execute();
  const byName = new Map(rows.map((r) => [r.name.toLowerCase(), { ...r, content: Buffer.from(r.content) }]));
  return {
    found: names.flatMap((n) => byName.get(n.toLowerCase()) ?? []),
    missing: names.filter((n) => !byName.has(n.toLowerCase())),
  };
}
