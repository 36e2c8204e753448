// Shared set-up for the payment page tests: an approved invoice, a payment request for it, and the page's
// form posts as a browser sends them.
import { approve, post } from './billing.ts';
import { Api, makeCustomer, type TestAccount } from './harness.ts';

export function collectApi(account: TestAccount): Api {
  return new Api(account.api.baseUrl, account.key, '/collect/v1');
}

/** An approved invoice of `value` (no VAT). */
export async function approvedInvoice(account: TestAccount, value = '100.00'): Promise<any> {
  const c = await makeCustomer(account.api, { accountNumber: `ACC${Math.floor(Math.random() * 1e9)}` });
  await post(account.api, `/customers/${c.id}/transactions`, {
    transactionType: 'oneOff',
    transactionValue: value,
    transactionVATRate: '0',
    transactionDate: '2026-10-20',
  });
  const invoice = await post(account.api, `/customers/${c.id}/invoices`, { cutoffDate: '2026-11-01' });
  return approve(account.api, invoice.id);
}

/** A payment request for an invoice (the report's object), with the page's path. */
export async function paymentRequest(
  account: TestAccount,
  body: Record<string, unknown>,
): Promise<{ request: any; path: string; token: string }> {
  const res = await collectApi(account).post('/requests', body);
  if (res.status !== 201) throw new Error(`POST /collect/v1/requests: ${res.status} ${res.text}`);
  const path = new URL(res.body.url).pathname;
  return { request: res.body, path, token: path.split('/').pop()! };
}

export interface PageResponse {
  status: number;
  text: string;
  headers: Headers;
  location: string | null;
}

/** GET or a form POST (application/x-www-form-urlencoded), redirects not followed. */
export async function page(
  baseUrl: string,
  path: string,
  form?: Record<string, string>,
): Promise<PageResponse> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: form ? 'POST' : 'GET',
    redirect: 'manual',
    headers: {
      accept: 'text/html',
      ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
    },
    body: form ? new URLSearchParams(form).toString() : undefined,
  });
  return {
    status: response.status,
    text: await response.text(),
    headers: response.headers,
    location: response.headers.get('location'),
  };
}

export const APPROVING_CARD = {
  cardNumber: '4242 4242 4242 4242',
  expiry: '12/34',
  cvc: '123',
  cardName: 'Pat Payer',
};
export const DECLINING_CARD = {
  cardNumber: '4000 0000 0000 0002',
  expiry: '12/34',
  cvc: '123',
  cardName: 'Pat Payer',
};
export const INSUFFICIENT_FUNDS_CARD = { cardNumber: '4000000000009995', expiry: '12/34', cvc: '123' };
