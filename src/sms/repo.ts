import type { Insertable, Selectable } from 'kysely';
import type { Executor } from '../context.ts';
import type { SmsMessagesTable } from '../db/schema-collections.ts';

export type SmsMessageRow = Selectable<SmsMessagesTable>;

export async function findSmsForJob(
  db: Executor,
  accountId: number,
  outboxJobId: number,
): Promise<SmsMessageRow | undefined> {
  return db
    .selectFrom('sms_messages')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('outbox_job_id', '=', outboxJobId)
    .executeTakeFirst();
}

export async function insertSms(db: Executor, row: Insertable<SmsMessagesTable>): Promise<SmsMessageRow> {
  return db.insertInto('sms_messages').values(row).returningAll().executeTakeFirstOrThrow();
}

export interface SmsFilter {
  requestId?: number | undefined;
  to?: string | undefined;
  afterId?: number | undefined;
  limit: number;
}

export async function listSms(db: Executor, accountId: number, filter: SmsFilter): Promise<SmsMessageRow[]> {
  let query = db.selectFrom('sms_messages').selectAll().where('account_id', '=', accountId);
  if (filter.requestId !== undefined) query = query.where('request_id', '=', filter.requestId);
  if (filter.to !== undefined) query = query.where('to_number', '=', filter.to);
  if (filter.afterId !== undefined) query = query.where('id', '>', filter.afterId);
  return query.orderBy('id').limit(filter.limit).execute();
}
