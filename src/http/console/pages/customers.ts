// Customers: list with search (name, email, account number, a line's number), create; a customer's page
// with details (edit), features (add, end), charges (add one-off charges and refunds), invoices, calls and
// the rate card in use. Writes go through the same use cases as the API, at the same key levels.
import { dateInZone } from '../../../shared/dates.ts';
import { KeyLevel } from '../../../api-keys/levels.ts';
import { createCustomer } from '../../../customers/create-customer.ts';
import { findCustomer } from '../../../customers/repo.ts';
import { updateCustomer } from '../../../customers/update-customer.ts';
import { LATEST_CALLS_WINDOW, latestCustomerCalls } from '../../../calls/reports-repo.ts';
import { CUSTOMER_SORTS, searchCustomers } from '../../../dashboard/repo.ts';
import { pageOffset, parseSort } from '../../../shared/sorting.ts';
import { createFeature } from '../../../features/create-feature.ts';
import { findFeature, listFeatures } from '../../../features/repo.ts';
import { updateFeature } from '../../../features/update-feature.ts';
import { listInvoices } from '../../../invoices/repo.ts';
import { findRateCard, listRateCards } from '../../../rate-cards/repo.ts';
import { createTransaction } from '../../../invoices/create-transaction.ts';
import { listTransactions } from '../../../invoices/transactions-repo.ts';
import { withTransactionWireNames } from '../../kit/transaction-fields.ts';
import { diff } from '../../../audit/record.ts';
import { currencyMinorDigits, formatAmount } from '../../../money/money.ts';
import { notFound } from '../../../shared/errors.ts';
import { accountToday } from '../../../shared/today.ts';
import { pathId } from '../../kit/route-helpers.ts';
import {
  csrfField,
  errorBox,
  h,
  listQuery,
  okBox,
  pageLinks,
  pager,
  rate,
  sortColumn,
  table,
  when,
} from '../html.ts';
import type { ZodApp } from '../../kit/app-type.ts';
import { formField, idParams, messagesQuery, pageQuery } from '../../kit/form.ts';
import type { ConsoleKit } from '../kit.ts';
import { fmt } from './overview.ts';

const PAGE = 50;

export function cursor(value: string | undefined): number | undefined {
  return /^\d{1,15}$/.test(value ?? '') ? Number(value) : undefined;
}

function opt(value: string | undefined): string | null {
  const v = (value ?? '').trim();
  return v === '' ? null : v;
}

export function invoiceState(
  i: { approved_at: Date | null; total: string; paid_amount: string; due_date: string | null },
  today: string,
): string {
  if (i.approved_at === null) return '<span class="badge">unsent</span>';
  if (Number(i.paid_amount) >= Number(i.total)) return '<span class="badge good">paid</span>';
  if (i.due_date !== null && i.due_date < today) return '<span class="badge bad">overdue</span>';
  return '<span class="badge">raised</span>';
}

export function customerPages(app: ZodApp, kit: ConsoleKit): void {
  const { ctx } = kit;

  const CustomersQuery = pageQuery({ q: formField, after: formField, sort: formField, page: formField });
  app.get(
    '/console/customers',
    { schema: { hide: true, querystring: CustomersQuery } },
    async (request, reply) => {
      const m = await kit.me(request, reply);
      if (!m) return reply;
      const q = request.query;
      // Sorted by a column: offset pages; else by id, after the last id shown.
      const sort = q.sort ? parseSort(q.sort, CUSTOMER_SORTS, { key: 'created', dir: 'asc' }) : undefined;
      const { page: pageNo, offset } = pageOffset(q.page, PAGE);
      const page = await searchCustomers(
        ctx.db,
        m.accountId,
        q.q,
        sort ? { sort, offset, limit: PAGE } : { after: cursor(q.after), limit: PAGE },
      );
      const keep = listQuery(q);
      const col = (title: string, key: keyof typeof CUSTOMER_SORTS) =>
        sortColumn(title, key, sort ?? { key: '', dir: 'asc' }, '/console/customers', keep);
      const paging = sort
        ? pageLinks('/console/customers', keep, pageNo, page.nextAfter !== undefined)
        : pager({
            next:
              page.nextAfter === undefined
                ? undefined
                : `/console/customers?${new URLSearchParams({ ...keep, after: String(page.nextAfter) })}`,
          });
      const create = kit.may(m, KeyLevel.customers)
        ? `<section class="card"><h2>New customer</h2><form method="post" action="/console/customers" class="filters">${csrfField(m.csrf)}
<div><label for="new-name">Name</label><input id="new-name" name="name" required maxlength="200"></div>
<div><label for="new-email">Email</label><input id="new-email" name="email" type="email" maxlength="254"></div>
<div><label for="new-number">Account number</label><input id="new-number" name="accountNumber" maxlength="50"></div>
<div><button type="submit">Create customer</button></div></form></section>`
        : '';
      return kit.page(reply, m, {
        title: 'Customers',
        page: 'customers',
        body: `<h1>Customers</h1>${errorBox(q.error)}${okBox(q.ok)}
<section class="card"><form method="get" action="/console/customers" class="filters">${q.sort ? `<input type="hidden" name="sort" value="${h(q.sort)}">` : ''}<div><label for="q">Search by name, email, account number or phone number</label><input id="q" name="q" type="search" value="${h(q.q)}" maxlength="100"></div><div><button type="submit">Search</button></div></form></section>
${create}
<section class="card">${table(
          'Customers',
          [
            col('Name', 'name'),
            col('Account number', 'number'),
            col('Email', 'email'),
            col('Mode', 'mode'),
            col('Created', 'created'),
          ],
          page.rows.map((c) => [
            `<a href="/console/customers/${c.id}">${h(c.name)}</a>`,
            h(c.account_number),
            h(c.email),
            h(c.billing_mode),
            h(dateInZone(c.created_at, m.account.timezone)),
          ]),
          q.q
            ? 'No customer matches that search. Try part of a name, an email address or a phone number.'
            : 'No customers yet. Create the first one above (or with POST /backend/api/v1/customers).',
        )}${paging}</section>`,
      });
    },
  );

  kit.action(
    '/console/customers',
    KeyLevel.customers,
    async (m, b) => {
      const c = await createCustomer(ctx, m.accountId, {
        name: String(b.name ?? ''),
        email: opt(b.email),
        accountNumber: opt(b.accountNumber),
      });
      return {
        redirect: `/console/customers/${c.id}`,
        message: `Customer ${c.name} created`,
        audit: { action: 'create', resource: 'customers', resourceId: c.id, changes: { name: c.name } },
      };
    },
    () => '/console/customers',
  );

  app.get(
    '/console/customers/:id',
    { schema: { hide: true, params: idParams, querystring: messagesQuery } },
    async (request, reply) => {
      const m = await kit.me(request, reply);
      if (!m) return reply;
      const id = pathId(request.params.id, 'Customer');
      const c = await findCustomer(ctx.db, m.accountId, id);
      if (!c) throw notFound('Customer', id);
      const q = request.query;
      const cur = m.account.currency;
      const today = accountToday(m.account, ctx.now());
      const [features, charges, invoices, calls, cards] = await Promise.all([
        listFeatures(ctx.db, m.accountId, id, { limit: 200 }),
        listTransactions(ctx.db, m.accountId, { customerId: id, state: 'all' }, { limit: 100 }),
        listInvoices(ctx.db, m.accountId, { customerId: id, state: 'all' }, { limit: 100 }),
        latestCustomerCalls(ctx.db, m.accountId, id, 10),
        listRateCards(ctx.db, m.accountId, { limit: 200 }),
      ]);
      const card = c.rate_card_id
        ? await findRateCard(ctx.db, m.accountId, c.rate_card_id)
        : cards.rows.find((r) => r.is_default);
      const editCustomers = kit.may(m, KeyLevel.customers);
      const editCharges = kit.may(m, KeyLevel.charges);
      const details = editCustomers
        ? `<form method="post" action="/console/customers/${id}">${csrfField(m.csrf)}<div class="filters">
<div><label for="c-name">Name</label><input id="c-name" name="name" required maxlength="200" value="${h(c.name)}"></div>
<div><label for="c-email">Email</label><input id="c-email" name="email" maxlength="2000" value="${h(c.email)}"></div>
<div><label for="c-number">Account number</label><input id="c-number" name="accountNumber" maxlength="50" value="${h(c.account_number)}"></div>
<div><label for="c-vat">VAT number</label><input id="c-vat" name="vatNumber" maxlength="50" value="${h(c.vat_number)}"></div>
<div><label for="c-terms">Payment terms (days)</label><input id="c-terms" name="paymentTermsDays" inputmode="numeric" maxlength="3" value="${h(c.payment_terms_days)}"></div>
<div><label for="c-card">Rate card</label><select id="c-card" name="rateCardID"><option value="">The account default</option>${cards.rows.map((r) => `<option value="${r.id}"${r.id === c.rate_card_id ? ' selected' : ''}>${h(r.name)}</option>`).join('')}</select></div>
</div><button type="submit">Save details</button></form>`
        : `<dl><dt>Email</dt><dd>${h(c.email)}</dd><dt>Account number</dt><dd>${h(c.account_number)}</dd><dt>VAT number</dt><dd>${h(c.vat_number)}</dd><dt>Payment terms</dt><dd>${h(c.payment_terms_days ?? 'account default')}</dd></dl>`;
      const featureForm = editCustomers
        ? `<form method="post" action="/console/customers/${id}/features" class="filters">${csrfField(m.csrf)}
<div><label for="f-name">Feature name</label><input id="f-name" name="name" required maxlength="200" placeholder="Main line"></div>
<div><label for="f-phone">Phone number</label><input id="f-phone" name="phoneNumber" inputmode="tel" maxlength="30"></div>
<div><label for="f-value">Recurring charge</label><input id="f-value" name="recurringValue" inputmode="decimal" maxlength="20" placeholder="10.00"></div>
<div><label for="f-freq">Every</label><select id="f-freq" name="recurringFrequency"><option value="monthly">month</option><option value="quarterly">quarter</option><option value="annually">year</option></select></div>
<div><label for="f-start">Starts</label><input id="f-start" name="startDate" type="date" value="${h(today)}"></div>
<div><button type="submit">Add feature</button></div></form>`
        : '';
      const chargeForm = editCharges
        ? `<form method="post" action="/console/customers/${id}/charges" class="filters">${csrfField(m.csrf)}
<div><label for="t-type">Type</label><select id="t-type" name="transactionType"><option value="oneOff">One-off charge</option><option value="refund">Refund</option><option value="manual">Manual</option></select></div>
<div><label for="t-value">Amount (${h(cur)})</label><input id="t-value" name="transactionValue" inputmode="decimal" required maxlength="20" placeholder="25.00"></div>
<div><label for="t-desc">Description</label><input id="t-desc" name="description" maxlength="200"></div>
<div><label for="t-date">Date</label><input id="t-date" name="transactionDate" type="date" value="${h(today)}"></div>
<div><button type="submit">Add charge</button></div></form>`
        : '';
      return kit.page(reply, m, {
        title: c.name,
        page: 'customers',
        body: `<p><a href="/console/customers">Customers</a></p><h1>${h(c.name)}</h1>${errorBox(q.error)}${okBox(q.ok)}
<div class="grid"><section class="card"><h2>Details</h2>${details}</section>
<section class="card"><h2>Billing</h2><dl><dt>Mode</dt><dd>${h(c.billing_mode)}</dd><dt>Rate card in use</dt><dd>${card ? `<a href="/console/rate-cards/${card.id}">${h(card.name)}</a>${c.rate_card_id ? '' : ' (account default)'}` : 'None: calls stay unrated until a default rate card is set'}</dd><dt>Created</dt><dd>${h(dateInZone(c.created_at, m.account.timezone))}</dd></dl>
<div class="actions"><a class="button secondary" href="/console/calls?customer=${id}">Calls</a><a class="button secondary" href="/console/invoices?customer=${id}">Invoices</a><a class="button secondary" href="/console/collections?customer=${id}">Payment requests</a></div></section></div>
<section class="card" id="features"><h2>Features</h2>${table(
          `Features of ${c.name}`,
          [
            { title: 'Name' },
            { title: 'Number' },
            { title: 'Recurring', amount: true },
            { title: 'From' },
            { title: 'Until' },
            { title: '' },
          ],
          features.rows.map((f) => [
            h(f.name),
            h(f.phone_number),
            f.recurring_value === null
              ? ''
              : `${h(fmt(f.recurring_value, cur))} ${h(f.recurring_frequency ?? '')}`,
            h(f.start_date),
            h(f.end_date),
            editCustomers
              ? `<div class="actions"><a href="/console/features/${f.id}">Edit<span class="skip"> ${h(f.name)}</span></a>${f.end_date === null ? `<form method="post" action="/console/features/${f.id}/end">${csrfField(m.csrf)}<button type="submit" class="link">End today<span class="skip"> ${h(f.name)}</span></button></form>` : ''}</div>`
              : '',
          ]),
          'No features yet: add a phone number or line with its recurring charge.',
        )}${featureForm}</section>
<section class="card" id="charges"><h2>Charges</h2>${table(
          `Charges of ${c.name}, newest last`,
          [
            { title: 'Date' },
            { title: 'Type' },
            { title: 'Description' },
            { title: 'Amount', amount: true },
            { title: 'Invoice' },
          ],
          charges.rows.map((t) => [
            h(t.transaction_date),
            h(t.transaction_type),
            h(t.description),
            h(fmt(t.value, cur)),
            t.invoice_id ? `<a href="/console/invoices/${t.invoice_id}">${t.invoice_id}</a>` : '',
          ]),
          'No charges yet. Charges come from features, calls and the one-off charges and refunds you add here.',
        )}${chargeForm}</section>
<section class="card" id="invoices"><h2>Invoices</h2>${table(
          `Invoices of ${c.name}`,
          [{ title: 'Invoice' }, { title: 'Date' }, { title: 'State' }, { title: 'Total', amount: true }],
          invoices.rows.map((i) => [
            `<a href="/console/invoices/${i.id}">${h(i.invoice_number ?? `Unsent ${i.id}`)}</a>`,
            h(i.invoice_date),
            invoiceState(i, today),
            h(fmt(i.total, cur)),
          ]),
          'No invoices yet: run billing to make them.',
        )}</section>
<section class="card" id="calls"><h2>Latest calls</h2>${table(
          `Latest calls of ${c.name}`,
          [
            { title: 'Start' },
            { title: 'To' },
            { title: 'Seconds', amount: true },
            { title: 'Charge', amount: true },
          ],
          calls
            .slice(0, 10)
            .map((x) => [
              `<a href="/console/calls/${x.id}">${when(x.start_time, m.account.timezone)}</a>`,
              h(x.to_number),
              String(x.duration_s),
              h(x.charge === null ? x.rating_status : fmt(x.charge, cur)),
            ]),
          'No calls for this customer among the newest ones.',
        )}<p class="muted">Looked for among the account's newest ${LATEST_CALLS_WINDOW.toLocaleString('en-GB')} calls. <a href="/console/calls?customer=${id}">All calls of ${h(c.name)}</a></p></section>`,
      });
    },
  );

  kit.action(
    '/console/customers/:id',
    KeyLevel.customers,
    async (m, b, p) => {
      const id = pathId(p.id!, 'Customer');
      const before = await findCustomer(ctx.db, m.accountId, id);
      if (!before) throw notFound('Customer', id);
      const terms = opt(b.paymentTermsDays);
      const after = await updateCustomer(ctx, m.accountId, id, {
        name: String(b.name ?? ''),
        email: opt(b.email),
        accountNumber: opt(b.accountNumber),
        vatNumber: opt(b.vatNumber),
        paymentTermsDays: terms === null ? null : /^\d{1,3}$/.test(terms) ? Number(terms) : -1,
        rateCardID: opt(b.rateCardID),
      });
      const pick = (r: typeof after) => ({
        name: r.name,
        email: r.email,
        accountNumber: r.account_number,
        vatNumber: r.vat_number,
        paymentTermsDays: r.payment_terms_days,
        rateCardID: r.rate_card_id,
      });
      return {
        redirect: `/console/customers/${id}`,
        message: 'Details saved',
        audit: {
          action: 'update',
          resource: 'customers',
          resourceId: id,
          changes: diff(pick(before), pick(after)),
        },
      };
    },
    (p) => `/console/customers/${p.id}`,
  );

  kit.action(
    '/console/customers/:id/features',
    KeyLevel.customers,
    async (m, b, p) => {
      const id = pathId(p.id!, 'Customer');
      const value = opt(b.recurringValue);
      const f = await createFeature(ctx, m.accountId, id, {
        name: String(b.name ?? ''),
        phoneNumber: opt(b.phoneNumber),
        recurringValue: value,
        recurringFrequency: value === null ? null : ((opt(b.recurringFrequency) ?? 'monthly') as 'monthly'),
        startDate: opt(b.startDate),
      });
      return {
        redirect: `/console/customers/${id}#features`,
        message: `Feature ${f.name} added`,
        audit: {
          action: 'create',
          resource: 'features',
          resourceId: f.id,
          changes: { parentId: String(id), name: f.name, phoneNumber: f.phone_number },
        },
      };
    },
    (p) => `/console/customers/${p.id}#features`,
  );

  // A feature's own page: every field the API lets a person change, then the same use case as PATCH.
  app.get(
    '/console/features/:id',
    { schema: { hide: true, params: idParams, querystring: messagesQuery } },
    async (request, reply) => {
      const m = await kit.me(request, reply);
      if (!m) return reply;
      kit.need(m, KeyLevel.customers);
      const id = pathId(request.params.id, 'Feature');
      const f = await findFeature(ctx.db, m.accountId, id);
      if (!f) throw notFound('Feature', id);
      const c = await findCustomer(ctx.db, m.accountId, f.customer_id);
      const q = request.query;
      const charged = f.billed_until !== null;
      const freq = (v: string, label: string) =>
        `<option value="${v}"${(f.recurring_frequency ?? 'monthly') === v ? ' selected' : ''}>${label}</option>`;
      return kit.page(reply, m, {
        title: `Feature ${f.name}`,
        page: 'customers',
        body: `<p><a href="/console/customers/${f.customer_id}#features">${h(c?.name ?? 'Customer')}</a></p><h1>Feature ${h(f.name)}</h1>${errorBox(q.error)}
<section class="card"><form method="post" action="/console/features/${id}">${csrfField(m.csrf)}<div class="filters">
<div><label for="fe-name">Name</label><input id="fe-name" name="name" required maxlength="200" value="${h(f.name)}"></div>
<div><label for="fe-phone">Phone number</label><input id="fe-phone" name="phoneNumber" inputmode="tel" maxlength="30" value="${h(f.phone_number)}"></div>
<div><label for="fe-value">Recurring charge (empty: none)</label><input id="fe-value" name="recurringValue" inputmode="decimal" maxlength="20" value="${h(f.recurring_value === null ? '' : formatAmount(f.recurring_value, currencyMinorDigits(m.account.currency)))}"></div>
<div><label for="fe-freq">Every</label><select id="fe-freq" name="recurringFrequency">${freq('monthly', 'month')}${freq('quarterly', 'quarter')}${freq('annually', 'year')}</select></div>
<div><label for="fe-vat">VAT rate % (empty: the account's)</label><input id="fe-vat" name="vatRate" inputmode="decimal" maxlength="10" value="${h(rate(f.vat_rate))}"></div>
<div><label for="fe-start">Starts</label><input id="fe-start" name="startDate" type="date" value="${h(f.start_date)}"${charged ? ' readonly aria-describedby="fe-start-note"' : ''}></div>
<div><label for="fe-end">Ends (empty: no end)</label><input id="fe-end" name="endDate" type="date" value="${h(f.end_date)}"></div>
</div>${charged ? `<p class="muted" id="fe-start-note">Charged up to ${h(f.billed_until)}: the start date is fixed. A new price applies to periods not yet charged; an end date before ${h(f.billed_until)} credits the unused days on the next invoice.</p>` : ''}<button type="submit">Save feature</button></form></section>`,
      });
    },
  );

  kit.action(
    '/console/features/:id',
    KeyLevel.customers,
    async (m, b, p) => {
      const id = pathId(p.id!, 'Feature');
      const before = await findFeature(ctx.db, m.accountId, id);
      if (!before) throw notFound('Feature', id);
      const value = opt(b.recurringValue);
      const after = await updateFeature(ctx, m.accountId, id, {
        name: String(b.name ?? ''),
        phoneNumber: opt(b.phoneNumber),
        recurringValue: value,
        recurringFrequency: value === null ? null : ((opt(b.recurringFrequency) ?? 'monthly') as 'monthly'),
        vatRate: opt(b.vatRate),
        ...(before.billed_until === null ? { startDate: opt(b.startDate) } : {}),
        endDate: opt(b.endDate),
      });
      const pick = (r: typeof after) => ({
        name: r.name,
        phoneNumber: r.phone_number,
        recurringValue: r.recurring_value,
        recurringFrequency: r.recurring_frequency,
        vatRate: r.vat_rate,
        startDate: r.start_date,
        endDate: r.end_date,
      });
      return {
        redirect: `/console/customers/${before.customer_id}#features`,
        message: `Feature ${after.name} saved`,
        audit: {
          action: 'update',
          resource: 'features',
          resourceId: id,
          changes: diff(pick(before), pick(after)),
        },
      };
    },
    (p) => `/console/features/${p.id}`,
  );

  kit.action('/console/features/:id/end', KeyLevel.customers, async (m, _b, p) => {
    const id = pathId(p.id!, 'Feature');
    const before = await findFeature(ctx.db, m.accountId, id);
    if (!before) throw notFound('Feature', id);
    const today = accountToday(m.account, ctx.now());
    await updateFeature(ctx, m.accountId, id, { endDate: today });
    return {
      redirect: `/console/customers/${before.customer_id}#features`,
      message: `Feature ${before.name} ends today`,
      audit: {
        action: 'update',
        resource: 'features',
        resourceId: id,
        changes: { endDate: { from: before.end_date, to: today } },
      },
    };
  });

  kit.action(
    '/console/customers/:id/charges',
    KeyLevel.charges,
    async (m, b, p) => {
      const id = pathId(p.id!, 'Customer');
      const t = await withTransactionWireNames(() =>
        createTransaction(
          ctx,
          m.accountId,
          { kind: 'customer', customerId: id },
          {
            type: String(b.transactionType ?? 'oneOff'),
            value: String(b.transactionValue ?? '').trim(),
            transactionDescription: opt(b.description),
            // The charge's date (a run bills the charges dated up to its cut-off); empty: today.
            transactionDate: opt(b.transactionDate) ?? undefined,
          },
        ),
      );
      return {
        redirect: `/console/customers/${id}#charges`,
        message: 'Charge added',
        audit: {
          action: 'create',
          resource: 'transactions',
          resourceId: t.id,
          changes: {
            parentId: String(id),
            transactionType: t.transaction_type,
            value: t.value,
            transactionDate: t.transaction_date,
          },
        },
      };
    },
    (p) => `/console/customers/${p.id}#charges`,
  );
}
