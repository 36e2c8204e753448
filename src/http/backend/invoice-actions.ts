// Invoice actions: POST /invoices/ID?action=NAME. Each action names its handler here; the dispatch
// answers 400503 when `action` is missing and 400501 when it is not one of these.
import { z } from 'zod';
import { KeyLevel } from '../../api-keys/levels.ts';
import type { Ctx } from '../../context.ts';
import { approveInvoice } from '../../invoices/approve-invoice.ts';
import { updateCallTransactions } from '../../invoices/update-call-transactions.ts';
import { DomainError } from '../../shared/errors.ts';
import { loadAccount } from './app-type.ts';
import { isoDate } from './schemas.ts';
import { toInvoiceView } from './views.ts';

export interface ActionContext {
  ctx: Ctx;
  accountId: number;
  keyLevel: number;
  invoiceId: number;
  body: unknown;
}

export interface InvoiceAction {
  /** Lowest key level that may run the action. */
  level: number;
  description: string;
  run(a: ActionContext): Promise<unknown>;
}

/** Parses an action's parameters; a missing required one is 400503, a malformed one 400001. */
export function actionParams<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.join('.') || 'body';
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    throw new DomainError('missing_parameter', `missing required parameter: ${field}`, field);
  }
  if (issue.code === 'unrecognized_keys') throw new DomainError('invalid_input', `unknown parameter: ${issue.keys.join(', ')}`, issue.keys[0]);
  throw new DomainError('invalid_input', `${field}: ${issue.message}`, field);
}

export const invoiceActions: Record<string, InvoiceAction> = {
  updateCallTransactions: {
    level: KeyLevel.invoices,
    description:
      "Summarise the invoice's calls again: the rated calls that started before its cut-off, one charge per feature and destination. Only for unsent invoices (409 otherwise).",
    async run({ ctx, accountId, invoiceId, body }) {
      actionParams(z.object({}).strict(), body);
      const invoice = await updateCallTransactions(ctx, accountId, invoiceId);
      return toInvoiceView(invoice, await loadAccount(ctx, accountId));
    },
  },
  approve: {
    level: KeyLevel.invoices,
    description:
      'Raise the invoice: assigns the next invoice number, sets invoiceDate (default today in the account timezone) and dueDate, and freezes it. Parameters: invoiceDate (optional).',
    async run({ ctx, accountId, invoiceId, body }) {
      const params = actionParams(z.object({ invoiceDate: isoDate.optional() }).strict(), body);
      const invoice = await approveInvoice(ctx, accountId, invoiceId, params);
      return toInvoiceView(invoice, await loadAccount(ctx, accountId));
    },
  },
};

/** Runs a named action after checking it exists and the key may run it. */
export async function runInvoiceAction(name: string | undefined, a: ActionContext): Promise<unknown> {
  if (name === undefined || name === '') throw new DomainError('missing_parameter', 'missing required parameter: action', 'action');
  const action = Object.hasOwn(invoiceActions, name) ? invoiceActions[name] : undefined;
  if (!action) {
    throw new DomainError('action_unknown', `action "${name}" is not recognised; known actions: ${Object.keys(invoiceActions).join(', ')}`, 'action');
  }
  if (a.keyLevel < action.level) throw new DomainError('forbidden', `action ${name} needs an API key of level ${action.level} or more`);
  return action.run(a);
}
