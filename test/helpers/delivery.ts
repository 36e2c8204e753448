// A billed customer for the delivery tests: an account with an address and payment details, a customer
// with two addresses, a reference and a PO number, a line with rental from 15 October, a handset, and
// two rated calls in October; invoiced for the cut-off 1 November 2026.
//   rental 15-31 Oct 13.71 + November 25.00, handset 49.99, calls: UK 120 s at 0.05 = 0.10,
//   UK mobile 300 s at 0.12 = 0.60  ->  net 89.40, VAT 20% 17.88, total 107.28.
import { approve, post } from './billing.ts';
import { cdr, loadRates, makeRateCard, sendCalls } from './call-billing.ts';
import { type Api, type Harness, makeCharge, makeCustomer, makeFeature } from './harness.ts';

export const LINE = '441134960000';
export const NOW = new Date('2026-11-03T09:00:00.000Z');

export const PAYMENT_DETAILS =
  'Bank transfer to Acme Telecom Ltd, sort code 12-34-56, account 87654321. Quote your invoice number.';

export async function setUpAccount(h: Harness) {
  h.setNow(NOW);
  const account = await h.account({ name: 'Acme Telecom Ltd' });
  const res = await account.api.patch('/account', {
    address: { line1: '1 Exchange Street', city: 'Leeds', postcode: 'LS1 4AA', country: 'United Kingdom' },
    email: 'accounts@acme.example',
    emailFrom: 'billing@acme.example',
    vatNumber: 'GB123456789',
    paymentDetails: PAYMENT_DETAILS,
  });
  if (res.status !== 200) throw new Error(`PATCH /account: ${res.status} ${res.text}`);
  const card = await makeRateCard(account.api, 'Standard', true);
  await loadRates(account.api, card.id, '2026-01-01', [
    { prefix: '44', destination: 'UK', ratePerMinute: '0.05' },
    { prefix: '447', destination: 'UK mobile', ratePerMinute: '0.12' },
  ]);
  return account;
}

export async function billedCustomer(
  api: Api,
  options: { calls?: boolean; customer?: Record<string, unknown>; approve?: boolean; line?: string } = {},
) {
  const number = options.line ?? LINE;
  const customer = await makeCustomer(api, {
    name: 'Bright Dental Ltd',
    email: 'accounts@brightdental.example; ap@brightdental.example',
    customerReference: 'BD-0042',
    purchaseOrderNumber: 'PO-7781',
    billingAddress: { line1: '22 Park Row', city: 'Leeds', postcode: 'LS1 5HD' },
    ...options.customer,
  });
  const line = await makeFeature(api, customer.id, {
    name: 'Main line',
    phoneNumber: number,
    recurringValue: '25.00',
    startDate: '2026-10-15',
  });
  await makeCharge(api, `/features/${line.id}`, {
    transactionValue: '49.99',
    transactionDate: '2026-10-20',
    transactionDescription: 'Handset',
  });
  if (options.calls !== false) {
    await sendCalls(api, [
      cdr(`${number}-oct-1`, number, '441134960123', '2026-10-20T10:00:00Z', 120),
      cdr(`${number}-oct-2`, number, '447700900123', '2026-10-21T15:30:00Z', 300),
    ]);
  }
  const made = await post(api, `/customers/${customer.id}/invoices`, { cutoffDate: '2026-11-01' });
  const invoice = options.approve === false ? made : await approve(api, made.id);
  return { customer, line, invoice };
}
