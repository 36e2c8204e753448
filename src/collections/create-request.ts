// Payment requests: for an approved invoice (what is outstanding, or part of it) or for a standalone amount
// a user enters. One request or a batch sharing one batchId: every item is checked first (a mistake is a
// 400 naming `requests.N.field`), then all are stored and their SMS and emails queued in the outbox in one
// transaction, then sending is tried at once (a failure leaves the message queued for retry).
import { newRoutedToken } from '../tokens/routed-token.ts';
import type { Ctx, Executor } from '../context.ts';
import { findAccount } from '../accounts/repo.ts';
import { findCustomer } from '../customers/repo.ts';
import type { AccountRow } from '../accounts/repo.ts';
import { findInvoice } from '../invoices/repo.ts';
import { outstanding as invoiceOutstanding } from '../invoices/status.ts';
import { enqueue } from '../outbox/repo.ts';
import { parseEmailList, normalisePhoneNumber } from '../shared/contact.ts';
import { addDays, isIsoDate, startOfDayInZone } from '../shared/dates.ts';
import { assert, DomainError, invalid, notFound } from '../shared/errors.ts';
import { currencyMinorDigits, formatAmount, isDecimalString, money } from '../money/money.ts';
import {
  MAX_TERM,
  PLAN_FREQUENCIES,
  TERM_PERIODS,
  type PlanFrequency,
  type TermPeriod,
} from './instalment-schedule.ts';
import { insertBatch, insertRequests, type NewPaymentRequest, type PaymentRequestRow } from './repo.ts';
import { deliverSoon } from '../outbox/deliver-soon.ts';

export const MAX_BATCH_REQUESTS = 500;
/** Links expire this many days after sending unless the request says otherwise (COLLECT_LINK_EXPIRY_DAYS). */
export const DEFAULT_EXPIRY_DAYS = 30;
export const MAX_EXPIRY_DAYS = 366;
export const CHANNELS = ['sms', 'email'] as const;
export type Channel = (typeof CHANNELS)[number];

export interface PaymentRequestInput {
  invoiceId?: number | undefined;
  /** Standalone: the amount to collect. For an invoice: part of what is outstanding (default: all of it). */
  amount?: string | undefined;
  description?: string | undefined;
  accountNumber?: string | undefined;
  handler?: string | undefined;
  customLabel1?: string | undefined;
  customValue1?: string | undefined;
  customLabel2?: string | undefined;
  customValue2?: string | undefined;
  customLabel3?: string | undefined;
  customValue3?: string | undefined;
  mobileNumber?: string | undefined;
  email?: string | undefined;
  /** How to send the link; default: every channel there is a contact for (none: link only). */
  channels?: Channel[] | undefined;
  /** The instant the link stops working (ISO 8601), or a date: the link works to the end of that day. */
  expiresAt?: string | undefined;
  expiresInDays?: number | undefined;
  allowPartial?: boolean | undefined;
  instalmentEnabled?: boolean | undefined;
  planRate?: string | undefined;
  planMaxTerm?: number | undefined;
  planMaxTermPeriod?: TermPeriod | undefined;
  planFrequencies?: PlanFrequency[] | undefined;
}

export interface CollectJob {
  requestId: number;
}

export interface CreatedRequests {
  batchId: number | null;
  requests: PaymentRequestRow[];
  jobs: { accountId: number; id: number }[];
}

/** A pay link's token: 43 base64url characters that name the account and are otherwise random (tokens/routed-token.ts). */
function newToken(accountId: number): string {
  return newRoutedToken(accountId, 43);
}

function expiryOf(
  input: PaymentRequestInput,
  account: AccountRow,
  now: Date,
  at: string,
  defaultDays: number,
): Date {
  if (input.expiresAt !== undefined && input.expiresInDays !== undefined)
    throw invalid(`${at}expiresAt`, 'give expiresAt or expiresInDays, not both');
  let expires: Date;
  if (input.expiresAt !== undefined) {
    if (isIsoDate(input.expiresAt)) expires = startOfDayInZone(addDays(input.expiresAt, 1), account.timezone);
    else {
      if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})$/.test(input.expiresAt)) {
        throw invalid(
          `${at}expiresAt`,
          'must be a date (YYYY-MM-DD) or an ISO 8601 time with an offset (2025-07-01T17:00:00Z)',
        );
      }
      expires = new Date(input.expiresAt);
      if (Number.isNaN(expires.getTime())) throw invalid(`${at}expiresAt`, 'is not a real time');
    }
    if (expires.getTime() <= now.getTime()) throw invalid(`${at}expiresAt`, 'must be in the future');
    if (expires.getTime() > now.getTime() + MAX_EXPIRY_DAYS * 86_400_000)
      throw invalid(`${at}expiresAt`, `must be within ${MAX_EXPIRY_DAYS} days`);
  } else {
    const days = input.expiresInDays ?? defaultDays;
    if (!Number.isInteger(days) || days < 1 || days > MAX_EXPIRY_DAYS)
      throw invalid(`${at}expiresInDays`, `must be a whole number from 1 to ${MAX_EXPIRY_DAYS}`);
    expires = new Date(now.getTime() + days * 86_400_000);
  }
  return expires;
}

function text(value: string | undefined, field: string, max = 200): string | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  if (trimmed.length > max) throw invalid(field, `at most ${max} characters`);
  return trimmed === '' ? null : trimmed;
}

async function buildRow(
  db: Executor,
  account: AccountRow,
  input: PaymentRequestInput,
  at: string,
  now: Date,
  baseUrl: string,
  defaultExpiryDays: number,
): Promise<NewPaymentRequest> {
  const digits = currencyMinorDigits(account.currency);
  let amount: string;
  let customerId: number | null = null;
  let accountNumber = text(input.accountNumber, `${at}accountNumber`, 64);
  let mobile =
    input.mobileNumber === undefined || input.mobileNumber.trim() === ''
      ? null
      : normalisePhoneNumber(input.mobileNumber, `${at}mobileNumber`);
  let email: string | null = null;
  if (input.email !== undefined && input.email.trim() !== '') {
    const list = parseEmailList(input.email, `${at}email`);
    if (list.length !== 1) throw invalid(`${at}email`, 'one email address');
    email = list[0]!;
  }
  const requestedAmount = (): string | undefined => {
    if (input.amount === undefined) return undefined;
    if (!isDecimalString(input.amount, digits) || !money(input.amount).greaterThan(0)) {
      throw invalid(
        `${at}amount`,
        `must be a positive amount with at most ${digits} decimal places, as a string ("123.88")`,
      );
    }
    return formatAmount(input.amount, digits);
  };
  if (input.invoiceId !== undefined) {
    const invoice = await findInvoice(db, account.id, input.invoiceId);
    if (!invoice) throw notFound('Invoice', input.invoiceId);
    if (invoice.approved_at === null)
      throw new DomainError(
        'invoice_raised',
        `invoice ${input.invoiceId} must be approved before payment can be requested`,
      );
    const left = money(invoiceOutstanding(invoice));
    if (!left.greaterThan(0))
      throw new DomainError('conflict', `invoice ${input.invoiceId} has nothing outstanding`);
    const part = requestedAmount();
    if (part !== undefined && money(part).greaterThan(left)) {
      throw invalid(
        `${at}amount`,
        `${part} is more than the ${formatAmount(left, digits)} outstanding on invoice ${input.invoiceId}`,
      );
    }
    amount = part ?? formatAmount(left, digits);
    customerId = invoice.customer_id;
    const customer = await findCustomer(db, account.id, invoice.customer_id);
    assert(customer, 'an invoice has a customer');
    accountNumber ??= customer.account_number;
    // The customer's contacts are used only when the request asks for that channel without giving one.
    if (mobile === null && input.channels?.includes('sms') && customer.mobile_number)
      mobile = customer.mobile_number;
    if (email === null && input.channels?.includes('email') && customer.email)
      email = parseEmailList(customer.email, 'email')[0] ?? null;
  } else {
    const standalone = requestedAmount();
    if (standalone === undefined)
      throw new DomainError(
        'missing_parameter',
        `${at}amount: a standalone request needs an amount (or give invoiceId)`,
        `${at}amount`,
      );
    amount = standalone;
  }
  const channels = input.channels
    ? [...new Set(input.channels)]
    : CHANNELS.filter((c) => (c === 'sms' ? mobile !== null : email !== null));
  if (channels.includes('sms') && mobile === null)
    throw invalid(`${at}mobileNumber`, 'is needed to send by SMS');
  if (channels.includes('email') && email === null) throw invalid(`${at}email`, 'is needed to send by email');

  const labels: Record<string, string | null> = {};
  for (const n of [1, 2, 3] as const) {
    const label = text(input[`customLabel${n}`], `${at}customLabel${n}`, 100);
    const value = text(input[`customValue${n}`], `${at}customValue${n}`, 500);
    if (value !== null && label === null)
      throw invalid(`${at}customLabel${n}`, `is needed with customValue${n}`);
    labels[`custom_label${n}`] = label;
    labels[`custom_value${n}`] = value;
  }
  const instalmentEnabled = input.instalmentEnabled ?? false;
  if (
    input.planRate !== undefined &&
    (!isDecimalString(input.planRate, 4) ||
      money(input.planRate).isNegative() ||
      money(input.planRate).greaterThan(100))
  ) {
    throw invalid(
      `${at}planRate`,
      'must be a percentage from 0 to 100 with at most 4 decimal places ("1.5")',
    );
  }
  if ((input.planMaxTerm === undefined) !== (input.planMaxTermPeriod === undefined)) {
    throw invalid(
      input.planMaxTerm === undefined ? `${at}planMaxTerm` : `${at}planMaxTermPeriod`,
      'planMaxTerm and planMaxTermPeriod go together',
    );
  }
  if (input.planMaxTerm !== undefined && (!Number.isInteger(input.planMaxTerm) || input.planMaxTerm < 1))
    throw invalid(`${at}planMaxTerm`, 'must be a whole number, 1 or more');
  if (input.planMaxTermPeriod !== undefined && !TERM_PERIODS.includes(input.planMaxTermPeriod))
    throw invalid(`${at}planMaxTermPeriod`, 'must be day, month or year');
  // The schedule's bound (ten years): a longer term is refused here rather than silently held to it on the page.
  if (
    input.planMaxTerm !== undefined &&
    input.planMaxTermPeriod !== undefined &&
    input.planMaxTerm > MAX_TERM[input.planMaxTermPeriod]
  ) {
    throw invalid(
      `${at}planMaxTerm`,
      `must be at most ${MAX_TERM[input.planMaxTermPeriod]} when planMaxTermPeriod is ${input.planMaxTermPeriod} (ten years)`,
    );
  }
  const frequencies = input.planFrequencies ? [...new Set(input.planFrequencies)] : [...PLAN_FREQUENCIES];
  if (frequencies.length === 0)
    throw invalid(`${at}planFrequencies`, 'at least one of weekly, fortnightly, monthly');

  const token = newToken(account.id);
  return {
    account_id: account.id,
    invoice_id: input.invoiceId ?? null,
    customer_id: customerId,
    token,
    url: `${baseUrl}/pay/${token}`,
    amount,
    currency: account.currency,
    description: text(input.description, `${at}description`, 500),
    account_number: accountNumber,
    handler: text(input.handler, `${at}handler`, 100),
    custom_label1: labels.custom_label1!,
    custom_value1: labels.custom_value1!,
    custom_label2: labels.custom_label2!,
    custom_value2: labels.custom_value2!,
    custom_label3: labels.custom_label3!,
    custom_value3: labels.custom_value3!,
    mobile_number: mobile,
    email,
    channels,
    expires_at: expiryOf(input, account, now, at, defaultExpiryDays),
    allow_partial: input.allowPartial ?? true,
    instalment_enabled: instalmentEnabled,
    plan_rate: input.planRate ?? null,
    plan_max_term: input.planMaxTerm ?? null,
    plan_max_term_period: input.planMaxTermPeriod ?? null,
    plan_frequencies: frequencies,
    created_at: now,
    updated_at: now,
  };
}

/**
 * Creates requests and queues their messages. `batch` gives them one batchId (a batch of one still gets
 * one). `baseUrl` is where the page is reached (PUBLIC_URL or the caller's host).
 */
export async function createPaymentRequests(
  ctx: Ctx,
  accountId: number,
  inputs: PaymentRequestInput[],
  options: {
    batch: boolean;
    baseUrl: string;
    defaultExpiryDays?: number;
    /** Runs in the requests' transaction before their messages are queued (a prepaid top-up links itself to its request). */
    inTransaction?: (trx: Executor, requests: PaymentRequestRow[]) => Promise<void>;
  },
): Promise<CreatedRequests> {
  if (inputs.length === 0) throw invalid('requests', 'at least one request');
  if (inputs.length > MAX_BATCH_REQUESTS)
    throw invalid('requests', `at most ${MAX_BATCH_REQUESTS} requests in one batch`);
  const now = ctx.now();
  const created = await ctx.db.transaction().execute(async (trx) => {
    const account = await findAccount(trx, accountId);
    if (!account) throw notFound('Account', accountId);
    const rows: NewPaymentRequest[] = [];
    for (const [index, input] of inputs.entries()) {
      rows.push(
        await buildRow(
          trx,
          account,
          input,
          options.batch ? `requests.${index}.` : '',
          now,
          options.baseUrl,
          options.defaultExpiryDays ?? DEFAULT_EXPIRY_DAYS,
        ),
      );
    }
    const batchId = options.batch ? await insertBatch(trx, accountId, rows.length, now) : null;
    const requests = await insertRequests(
      trx,
      rows.map((r) => ({ ...r, batch_id: batchId })),
    );
    await options.inTransaction?.(trx, requests);
    const jobs: { accountId: number; id: number }[] = [];
    for (const request of requests) {
      for (const channel of request.channels) {
        const job = await enqueue(trx, {
          accountId,
          kind: channel === 'sms' ? 'collect.request_sms' : 'collect.request_email',
          payload: { requestId: Number(request.id) } satisfies CollectJob,
          dedupeKey: `collect.request.${channel}.${request.id}`,
        });
        jobs.push({ accountId, id: job.id });
      }
    }
    return { batchId, requests, jobs };
  });
  // Send now where a worker runs in this process; anything that fails stays queued and is retried.
  await deliverSoon(ctx, created.jobs);
  return created;
}
