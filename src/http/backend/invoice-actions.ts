// Invoice actions: POST /invoices/ID?action=NAME. Each action names its handler here; the dispatch
// answers 400503 when `action` is missing and 400501 when it is not one of these.
import { z } from 'zod';
import { KeyLevel } from '../../api-keys/levels.ts';
import type { AuditChange } from '../../audit/record.ts';
import type { Ctx } from '../../context.ts';
import { approveInvoice } from '../../invoices/approve-invoice.ts';
import { emailCdrs, emailInvoice } from '../../delivery/email-invoice.ts';
import { recreateBills } from '../../delivery/recreate-bills.ts';
import { generateDownloadLink } from '../../delivery/download-links.ts';
import { linkToXero, unlinkFromXero } from '../../invoices/xero-link.ts';
import { reapplyDiscountPlans } from '../../invoices/reapply-discount-plans.ts';
import { updateCallTransactions } from '../../invoices/update-call-transactions.ts';
import { DomainError } from '../../shared/errors.ts';
import { loadAccount } from '../kit/app-type.ts';
import { isoDate } from './schemas.ts';
import { toInvoiceView } from './views/invoices.ts';

export interface ActionContext {
  ctx: Ctx;
  accountId: number;
  keyLevel: number;
  invoiceId: number;
  body: unknown;
  /** Where this server is reached (for links it hands out). */
  baseUrl: string;
  /**
   * The audit entry of an action that writes its own in its first transaction (email, emailCdrs: they send
   * the email inside the request, outside a unit of work; see SENDS_AT_ONCE in audit-hook.ts).
   */
  audit?: AuditChange | undefined;
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
  // zod 4 does not report the input on an issue: look the field up, so that a wrong type ({"xeroID": 123})
  // is an invalid parameter and only an absent one is missing.
  if (issue.code === 'invalid_type' && valueAt(body, issue.path) === undefined) {
    throw new DomainError('missing_parameter', `missing required parameter: ${field}`, field);
  }
  if (issue.code === 'unrecognized_keys')
    throw new DomainError('invalid_input', `unknown parameter: ${issue.keys.join(', ')}`, issue.keys[0]);
  throw new DomainError('invalid_input', `${field}: ${issue.message}`, field);
}

function valueAt(body: unknown, path: readonly PropertyKey[]): unknown {
  let value: unknown = body;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

const addressList = z.union([z.string().max(5000), z.array(z.string().max(254)).max(50)]);

export const invoiceActions: Record<string, InvoiceAction> = {
  email: {
    level: KeyLevel.invoices,
    description:
      "Email the invoice (it must be approved). Parameters, all optional: email (an array of addresses, or comma/semicolon-separated; default: the customer's), billStyle (default: the invoice's or the account's), message (a message template's name), attachments (names of the account's attachments), invoiceUsageReportCustomerProfileID (a usage report profile's name). Answers {success, message}. Errors: 400702 invalid address, 400703 unknown bill style, 400704 unknown template, 400705 unknown attachment, 400706 unknown usage report profile, 500601 sending failed (the email stays queued and is retried).",
    async run({ ctx, accountId, invoiceId, body, audit }) {
      const params = actionParams(
        z
          .object({
            email: addressList.optional(),
            billStyle: z.string().max(100).optional(),
            message: z.string().max(100).optional(),
            attachments: z.array(z.string().max(100)).max(20).optional(),
            invoiceUsageReportCustomerProfileID: z.string().max(100).optional(),
          })
          .strict(),
        body,
      );
      const result = await emailInvoice(ctx, accountId, invoiceId, params, audit);
      return { success: true, message: result.message };
    },
  },
  emailCdrs: {
    level: KeyLevel.invoices,
    description:
      "Email a CSV of the invoice's calls (it must be approved and have calls). Parameter: email (optional; default the customer's addresses). Errors: 400702 invalid address, 400707 no calls, 500602 sending failed.",
    async run({ ctx, accountId, invoiceId, body, audit }) {
      const params = actionParams(z.object({ email: addressList.optional() }).strict(), body);
      const result = await emailCdrs(ctx, accountId, invoiceId, params, audit);
      return { success: true, message: result.message };
    },
  },
  generateDownloadLink: {
    level: KeyLevel.invoices,
    description:
      'A secure, time-limited link to download the bill without an API key (the invoice must be approved). Parameters: expiryHours (1, 6, 24, 72, 168, 336 or 720; default 168), maxUses (1 or 2; default 1). Answers {success, download_url, token, expires_at, max_uses}. Error: 500701 when the link cannot be made.',
    async run({ ctx, accountId, invoiceId, body, baseUrl }) {
      const params = actionParams(
        z
          .object({
            expiryHours: z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]).optional(),
            maxUses: z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]).optional(),
          })
          .strict(),
        body,
      );
      return generateDownloadLink(ctx, accountId, invoiceId, params, baseUrl);
    },
  },
  linkToXero: {
    level: KeyLevel.invoices,
    description:
      "Link the invoice to a Xero invoice by ID (the account's xero module must be active: 403002 otherwise). Parameter: xeroID (required, a UUID). Changing an existing link needs an expert-level (5) key (403001).",
    async run({ ctx, accountId, keyLevel, invoiceId, body }) {
      const params = actionParams(z.object({ xeroID: z.string().max(100) }).strict(), body);
      return toInvoiceView(
        await linkToXero(ctx, accountId, keyLevel, invoiceId, params.xeroID),
        await loadAccount(ctx, accountId),
      );
    },
  },
  unlinkFromXero: {
    level: KeyLevel.invoices,
    description:
      'Remove the link to Xero (the invoice in Xero is not affected). Needs the xero module (403002) and an expert-level (5) key (403001).',
    async run({ ctx, accountId, keyLevel, invoiceId, body }) {
      actionParams(z.object({}).strict(), body);
      return toInvoiceView(
        await unlinkFromXero(ctx, accountId, keyLevel, invoiceId),
        await loadAccount(ctx, accountId),
      );
    },
  },
  reapplyDiscountPlans: {
    level: KeyLevel.invoices,
    description:
      "Work out the customer's discount plan again on the unsent invoice (and the fees that depend on what is billed: low usage, late fees, interest). 409 once approved.",
    async run({ ctx, accountId, invoiceId, body }) {
      actionParams(z.object({}).strict(), body);
      return toInvoiceView(
        await reapplyDiscountPlans(ctx, accountId, invoiceId),
        await loadAccount(ctx, accountId),
      );
    },
  },
  recreate: {
    level: KeyLevel.invoices,
    description:
      "Render the approved invoice's bill again (every style kept for it, and the account's default). Error: 400701 when it cannot.",
    async run({ ctx, accountId, invoiceId, body }) {
      actionParams(z.object({}).strict(), body);
      const invoice = await recreateBills(ctx, accountId, invoiceId);
      return toInvoiceView(invoice, await loadAccount(ctx, accountId));
    },
  },
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
  if (name === undefined || name === '')
    throw new DomainError('missing_parameter', 'missing required parameter: action', 'action');
  const action = Object.hasOwn(invoiceActions, name) ? invoiceActions[name] : undefined;
  if (!action) {
    throw new DomainError(
      'action_unknown',
      `action "${name}" is not recognised; known actions: ${Object.keys(invoiceActions).join(', ')}`,
      'action',
    );
  }
  if (a.keyLevel < action.level)
    throw new DomainError('forbidden', `action ${name} needs an API key of level ${action.level} or more`);
  return action.run(a);
}
