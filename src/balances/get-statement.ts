// GET /invoices/{id}/statement: the prepaid statement of an approved invoice (see statement.ts).
import type { Ctx } from '../context.ts';
import { notFound } from '../shared/errors.ts';
import { statementOfInvoice, type Statement } from './statement.ts';

export async function getStatement(ctx: Ctx, accountId: number, invoiceId: number): Promise<Statement> {
  const statement = await statementOfInvoice(ctx.db, accountId, invoiceId);
  if (!statement) throw notFound('Statement of invoice', invoiceId);
  return statement;
}
