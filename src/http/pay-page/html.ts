// The hosted payment page's HTML: server-rendered, mobile first, no build step. Every value that comes from
// data goes through `h` (HTML escaping) or `attr`; the only inline style and script carry the response's CSP
// nonce. Pure functions of a view model: no I/O (each form carries a new random token, formTokenField).
import { randomBytes } from 'node:crypto';
import type { InstalmentSchedule, PlanFrequency, TermPeriod } from '../../collections/instalment-schedule.ts';

export { h } from '../kit/html.ts';
import { documentHead, h } from '../kit/html.ts';

/** The token is base64url when valid; anything else is percent-encoded before it goes into a URL. */
function tokenPath(token: string): string {
  return `/pay/${encodeURIComponent(token)}`;
}

const symbols = new Map<string, string>();

/** "£1,234.56" from a decimal string: grouping done on the string, never through a float. */
export function displayMoney(amount: string, currency: string): string {
  let symbol = symbols.get(currency);
  if (symbol === undefined) {
    try {
      symbol =
        new Intl.NumberFormat('en-GB', { style: 'currency', currency })
          .formatToParts(0)
          .find((p) => p.type === 'currency')?.value ?? `${currency} `;
    } catch {
      symbol = `${currency} `;
    }
    if (/^[A-Z]{3}$/.test(symbol)) symbol = `${symbol} `;
    symbols.set(currency, symbol);
  }
  const negative = amount.startsWith('-');
  const [whole, fraction] = (negative ? amount.slice(1) : amount).split('.') as [string, string | undefined];
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}${symbol}${grouped}${fraction !== undefined ? `.${fraction}` : ''}`;
}

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;background:#f3f5f8}
main{max-width:30rem;margin:0 auto;padding:1rem}
header{padding:.25rem 0 1rem}
header .merchant{font-weight:600;font-size:1.05rem}
h1{font-size:1.35rem;margin:.25rem 0 1rem}
h2{font-size:1.1rem;margin:0 0 .75rem}
.card{background:#fff;border-radius:12px;padding:1rem;margin:0 0 1rem;box-shadow:0 1px 3px rgba(0,0,0,.08)}
dl{display:grid;grid-template-columns:auto minmax(0,1fr);gap:.35rem 1rem;margin:0}
dt{color:#5b6475}dd{margin:0;text-align:right;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
.due{margin-top:.75rem}.due dd,.due dt{font-weight:700;color:#1d2330;font-size:1.1rem}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}
input,select{width:100%;font:inherit;padding:.7rem .75rem;border:1px solid #c5cbd6;border-radius:8px;background:#fff;min-height:2.9rem}
input:focus,select:focus{outline:2px solid #2f6fec;outline-offset:1px}
.row{display:flex;gap:.75rem}.row>div{flex:1}
.choice{display:flex;align-items:center;gap:.6rem;font-weight:400;margin:.4rem 0;padding:.6rem .75rem;border:1px solid #c5cbd6;border-radius:8px}
.choice input{width:auto;min-height:0}
button{width:100%;font:inherit;font-weight:700;padding:.85rem;margin-top:1rem;border:0;border-radius:8px;background:#2f6fec;color:#fff;min-height:3rem;cursor:pointer}
button[disabled]{opacity:.6}
a.button{display:block;text-align:center;padding:.85rem;border-radius:8px;background:#e8eefc;color:#1d4fc0;font-weight:700;text-decoration:none;margin-top:.5rem}
.alert{border-radius:8px;padding:.75rem;margin:0 0 1rem}
.alert.error{background:#fdecec;color:#8a1c1c;border:1px solid #f5c2c2}
.alert.ok{background:#e7f6ec;color:#1b5e33;border:1px solid #b9e2c6}
table{width:100%;border-collapse:collapse;font-variant-numeric:tabular-nums}
th,td{text-align:left;padding:.4rem .25rem;border-bottom:1px solid #eceff3}
td.amount,th.amount{text-align:right}
.muted{color:#5b6475;font-size:.9rem}
.status-paid{color:#1b5e33}.status-missed{color:#8a1c1c;font-weight:700}
[hidden]{display:none!important}
footer{color:#7a8394;font-size:.8rem;text-align:center;padding:1rem 0}
`;

// Disables the button once a form is sent (no double charge from a double tap) and shows the part-payment
// amount only when "pay part" is chosen. The page works without it.
const SCRIPT = `
document.querySelectorAll('form[data-once]').forEach(function(f){f.addEventListener('submit',function(){var b=f.querySelector('button[type=submit]');if(b){setTimeout(function(){b.disabled=true;b.textContent='Processing…';},0);}});});
var freq=document.getElementById('frequency'),count=document.getElementById('instalments');
if(freq&&count){var limit=function(){var o=freq.options[freq.selectedIndex],max=Number(o&&o.getAttribute('data-max'))||Infinity;Array.prototype.forEach.call(count.options,function(c){c.hidden=c.disabled=Number(c.value)>max;});if(count.options[count.selectedIndex].disabled){count.value=String(Math.min(max,Number(count.value)));}};freq.addEventListener('change',limit);limit();}
var part=document.getElementById('part-amount');
if(part){var sync=function(){var c=document.querySelector('input[name=option]:checked');part.hidden=!(c&&c.value==='part');};document.querySelectorAll('input[name=option]').forEach(function(r){r.addEventListener('change',sync);});sync();}
`;

export function layout(options: { title: string; nonce: string; merchant?: string; body: string }): string {
  return `${documentHead(options.title, options.nonce, STYLE)}
<body>
<main>
${options.merchant ? `<header><div class="merchant">${h(options.merchant)}</div></header>` : ''}
${options.body}
<footer>Secure payment page · card numbers are passed to the payment gateway and never stored here</footer>
</main>
<script nonce="${h(options.nonce)}">${SCRIPT}</script>
</body>
</html>`;
}

export function messagePage(options: {
  title: string;
  text: string;
  nonce: string;
  merchant?: string;
  tone?: 'ok' | 'error';
}): string {
  return layout({
    title: options.title,
    nonce: options.nonce,
    merchant: options.merchant,
    body: `<h1>${h(options.title)}</h1><div class="card"><p>${h(options.text)}</p></div>`,
  });
}

/** One payment as the paid link's page lists it. */
export interface PaidLinkPayment {
  amount: string;
  paidFor: string;
  paidAt: string;
  receiptNumber: string;
  cardLast4: string | null;
  refunded: string | null;
}

/** A link paid in full: what was paid, for what, when, and each payment's receipt number. */
export function paidLinkPage(
  view: { merchant: string; currency: string },
  nonce: string,
  payments: readonly PaidLinkPayment[],
): string {
  const money = (a: string) => h(displayMoney(a, view.currency));
  const rows = payments
    .map(
      (p) => `<section class="card payment" data-receipt="${h(p.receiptNumber)}"><dl>
<dt>Amount paid</dt><dd data-field="amountPaid">${money(p.amount)}${p.cardLast4 ? ` by the card ending ${h(p.cardLast4)}` : ''}</dd>
<dt>For</dt><dd data-field="paidFor">${h(p.paidFor)}</dd>
<dt>Paid on</dt><dd data-field="paidAt">${h(p.paidAt)}</dd>
<dt>Receipt number</dt><dd data-field="receiptNumber">${h(p.receiptNumber)}</dd>
${p.refunded ? `<dt>Refunded</dt><dd data-field="refunded">${money(p.refunded)}</dd>` : ''}
</dl></section>`,
    )
    .join('\n');
  return layout({
    title: 'Paid in full: thank you',
    nonce,
    merchant: view.merchant,
    body: `<h1>Paid in full: thank you</h1>
<div class="alert ok" role="status" id="paid">There is nothing left to pay on this link.</div>
${rows}`,
  });
}

// ---- the payment page

export interface PlanInstalmentView {
  seq: number;
  dueDate: string;
  amount: string;
  status: 'due' | 'paid' | 'missed' | 'cancelled';
}

export interface ActivePlanView {
  id: number;
  frequency: PlanFrequency;
  amount: string;
  interest: string;
  total: string;
  cardLast4: string | null;
  instalments: PlanInstalmentView[];
  /** The instalment the person can pay now on this page (missed, or due with no saved card). */
  payable: PlanInstalmentView | null;
}

export interface PlanOffer {
  frequencies: PlanFrequency[];
  /** The most instalments each frequency allows within the maximum term, from today. */
  maxCounts: Partial<Record<PlanFrequency, number>>;
  rate: string;
  maxTerm: number;
  maxTermPeriod: TermPeriod;
}

export interface PageView {
  token: string;
  merchant: string;
  currency: string;
  /** The invoice being paid, or null for a standalone amount. */
  invoice: { number: string; date: string | null; dueDate: string | null; amount: string } | null;
  description: string | null;
  requested: string;
  paid: string;
  outstanding: string;
  allowPartial: boolean;
  planOffer: PlanOffer | null;
  activePlan: ActivePlanView | null;
  expiresOn: string;
  /** A top-up's link: offer to keep the card for automatic top-ups. */
  offersAutoTopUpCard?: boolean;
}

export interface FormState {
  error?: string;
  /** An error about the plan choice, shown in the plan section. */
  planError?: string;
  option?: 'full' | 'part';
  amount?: string;
  cardName?: string;
}

const FREQUENCY_LABEL: Record<PlanFrequency, string> = {
  weekly: 'Weekly',
  fortnightly: 'Every two weeks',
  monthly: 'Monthly',
};

function summary(view: PageView): string {
  const money = (a: string) => h(displayMoney(a, view.currency));
  const lines: string[] = [];
  if (view.invoice) {
    lines.push(`<dt>Invoice</dt><dd data-field="invoiceNumber">${h(view.invoice.number)}</dd>`);
    if (view.invoice.date)
      lines.push(`<dt>Date</dt><dd data-field="invoiceDate">${h(view.invoice.date)}</dd>`);
    if (view.invoice.dueDate) lines.push(`<dt>Due</dt><dd>${h(view.invoice.dueDate)}</dd>`);
    lines.push(`<dt>Invoice amount</dt><dd data-field="invoiceAmount">${money(view.invoice.amount)}</dd>`);
  } else {
    if (view.description) lines.push(`<dt>For</dt><dd>${h(view.description)}</dd>`);
    lines.push(`<dt>Amount</dt><dd data-field="requestedAmount">${money(view.requested)}</dd>`);
  }
  if (view.paid !== '0' && !/^0(\.0+)?$/.test(view.paid))
    lines.push(`<dt>Paid</dt><dd data-field="paid">${money(view.paid)}</dd>`);
  return `<section class="card"><dl>${lines.join('')}</dl><dl class="due"><dt>To pay</dt><dd data-field="outstanding">${money(view.outstanding)}</dd></dl></section>`;
}

/**
 * A new token for each form shown: the server answers the same token sent again (a double click, a
 * resubmitted page) with the first submission's result instead of charging again.
 */
export function formTokenField(): string {
  return `<input type="hidden" name="formToken" value="${randomBytes(18).toString('base64url')}">`;
}

export function cardFields(cardName = ''): string {
  return `
<label for="cardName">Name on card</label>
<input id="cardName" name="cardName" autocomplete="cc-name" maxlength="100" value="${h(cardName)}">
<label for="cardNumber">Card number</label>
<input id="cardNumber" name="cardNumber" inputmode="numeric" autocomplete="cc-number" maxlength="23" placeholder="1234 1234 1234 1234" required>
<div class="row">
<div><label for="expiry">Expiry (MM/YY)</label><input id="expiry" name="expiry" inputmode="numeric" autocomplete="cc-exp" maxlength="7" placeholder="MM/YY" required></div>
<div><label for="cvc">Security code</label><input id="cvc" name="cvc" inputmode="numeric" autocomplete="cc-csc" maxlength="4" placeholder="123" required></div>
</div>`;
}

function errorBox(error: string | undefined): string {
  return error ? `<div class="alert error" role="alert" id="error">${h(error)}</div>` : '';
}

export function payPage(view: PageView, nonce: string, form: FormState = {}): string {
  const path = tokenPath(view.token);
  const money = (a: string) => h(displayMoney(a, view.currency));
  const option = form.option ?? 'full';
  const sections: string[] = [];

  if (view.activePlan) {
    sections.push(planSection(view, view.activePlan, form));
  } else {
    const partChoice = view.allowPartial
      ? `<label class="choice"><input type="radio" name="option" value="full"${option === 'full' ? ' checked' : ''}> Pay in full: ${money(view.outstanding)}</label>
<label class="choice"><input type="radio" name="option" value="part"${option === 'part' ? ' checked' : ''}> Pay part</label>
<div id="part-amount"><label for="amount">Amount to pay (${h(view.currency)})</label><input id="amount" name="amount" inputmode="decimal" maxlength="20" value="${h(form.amount ?? '')}" placeholder="0.00"></div>`
      : `<input type="hidden" name="option" value="full">`;
    sections.push(`<section class="card" id="pay">
<h2>Pay by card</h2>
${errorBox(form.error)}
<form method="post" action="${h(path)}/payments" data-once autocomplete="on">
${formTokenField()}
${partChoice}
${cardFields(form.cardName)}
${view.offersAutoTopUpCard ? '<label class="choice"><input type="checkbox" name="saveCard" value="true"> Save this card for automatic top-ups of my balance</label>' : ''}
<button type="submit">Pay</button>
</form>
</section>`);
    if (view.planOffer) sections.push(planOfferSection(view, view.planOffer, form.planError));
  }

  return layout({
    title: `Pay ${view.merchant}`,
    nonce,
    merchant: view.merchant,
    body: `<h1>${view.activePlan ? 'Your instalment plan' : 'Make a payment'}</h1>
${summary(view)}
${sections.join('\n')}
${view.activePlan ? '' : `<p class="muted">This link can be used until ${h(view.expiresOn)}.</p>`}`,
  });
}

function planOfferSection(view: PageView, offer: PlanOffer, error: string | undefined): string {
  const options = offer.frequencies
    .filter((f) => (offer.maxCounts[f] ?? 0) >= 2)
    .map(
      (f) =>
        `<option value="${f}" data-max="${h(offer.maxCounts[f])}">${FREQUENCY_LABEL[f]} (up to ${offer.maxCounts[f]} instalments)</option>`,
    )
    .join('');
  if (options === '') return '';
  const most = Math.max(...offer.frequencies.map((f) => offer.maxCounts[f] ?? 0));
  const counts = Array.from({ length: Math.max(0, most - 1) }, (_, i) => i + 2)
    .map((n) => `<option value="${n}"${n === Math.min(3, most) ? ' selected' : ''}>${n}</option>`)
    .join('');
  const rate = /^0(\.0+)?$/.test(offer.rate)
    ? 'No interest'
    : `Interest: ${h(offer.rate)}% a year (simple) on the plan amount`;
  return `<section class="card" id="plan">
<h2>Or pay in instalments</h2>
${error ? `<div class="alert error" role="alert" id="plan-error">${h(error)}</div>` : ''}
<p class="muted">${rate}. Plans run for at most ${h(offer.maxTerm)} ${h(offer.maxTermPeriod)}${offer.maxTerm === 1 ? '' : 's'}. The first instalment is paid today.</p>
<form method="get" action="${h(tokenPath(view.token))}/plan">
<label for="frequency">How often</label>
<select id="frequency" name="frequency">${options}</select>
<label for="instalments">Number of instalments</label>
<select id="instalments" name="instalments">${counts}</select>
<button type="submit">See the schedule</button>
</form>
</section>`;
}

function scheduleTable(
  rows: { seq: number; dueDate: string; amount: string; status?: string }[],
  currency: string,
): string {
  const withStatus = rows.some((r) => r.status !== undefined);
  return `<table id="schedule"><thead><tr><th>#</th><th>Due</th><th class="amount">Amount</th>${withStatus ? '<th>Status</th>' : ''}</tr></thead><tbody>${rows
    .map(
      (r) =>
        `<tr><td>${h(r.seq)}</td><td>${h(r.dueDate)}</td><td class="amount">${h(displayMoney(r.amount, currency))}</td>${
          withStatus ? `<td class="status-${h(r.status)}">${h(r.status)}</td>` : ''
        }</tr>`,
    )
    .join('')}</tbody></table>`;
}

export function planPreviewPage(
  view: PageView,
  nonce: string,
  choice: { frequency: PlanFrequency; instalments: number; schedule: InstalmentSchedule },
  form: FormState = {},
): string {
  const s = choice.schedule;
  const money = (a: string) => h(displayMoney(a, view.currency));
  return layout({
    title: `Instalment plan · ${view.merchant}`,
    nonce,
    merchant: view.merchant,
    body: `<h1>Your instalment plan</h1>
${summary(view)}
<section class="card">
<h2>${h(choice.instalments)} ${h(choice.frequency)} instalments</h2>
<dl><dt>Plan amount</dt><dd>${money(s.amount)}</dd><dt>Interest</dt><dd data-field="interest">${money(s.interest)}</dd><dt>Total</dt><dd data-field="total">${money(s.total)}</dd></dl>
${scheduleTable(
  s.instalments.map((i) => ({ seq: i.number, dueDate: i.dueDate, amount: i.amount })),
  view.currency,
)}
</section>
<section class="card" id="pay">
<h2>Pay the first instalment now: ${money(s.instalments[0]!.amount)}</h2>
${errorBox(form.error)}
<form method="post" action="${h(tokenPath(view.token))}/plans" data-once>
${formTokenField()}
<input type="hidden" name="frequency" value="${h(choice.frequency)}">
<input type="hidden" name="instalments" value="${h(choice.instalments)}">
${cardFields(form.cardName)}
<label class="choice"><input type="checkbox" name="saveCard" value="true" checked> Save this card to pay the next instalments on their due dates</label>
<button type="submit">Start the plan and pay ${money(s.instalments[0]!.amount)}</button>
</form>
<a class="button" href="${h(tokenPath(view.token))}">Back</a>
</section>`,
  });
}

function planSection(view: PageView, plan: ActivePlanView, form: FormState): string {
  const money = (a: string) => h(displayMoney(a, view.currency));
  const card = plan.cardLast4
    ? `Instalments are charged to the card ending ${h(plan.cardLast4)} on their due dates.`
    : 'We will send you a link when each instalment is due.';
  const payable = plan.payable
    ? `<section class="card" id="pay">
<h2>Pay instalment ${h(plan.payable.seq)} (${plan.payable.status === 'missed' ? 'missed' : 'due'} ${h(plan.payable.dueDate)}): ${money(plan.payable.amount)}</h2>
${errorBox(form.error)}
<form method="post" action="${h(tokenPath(view.token))}/payments" data-once>
${formTokenField()}
<input type="hidden" name="instalment" value="${h(plan.payable.seq)}">
${cardFields(form.cardName)}
<button type="submit">Pay ${money(plan.payable.amount)}</button>
</form>
</section>`
    : '';
  return `<section class="card" id="active-plan">
<h2>${h(plan.instalments.length)} ${h(plan.frequency)} instalments · total ${money(plan.total)}</h2>
<p class="muted">${card}</p>
${scheduleTable(
  plan.instalments.map((i) => ({ seq: i.seq, dueDate: i.dueDate, amount: i.amount, status: i.status })),
  view.currency,
)}
</section>
${payable}`;
}

export function confirmationPage(
  view: { merchant: string; currency: string; token?: string },
  nonce: string,
  paid: {
    amount: string;
    reference: string;
    cardLast4: string | null;
    outstanding: string;
    receiptTo: string[];
    plan?: { next: { dueDate: string; amount: string } | null } | undefined;
    /** The invoice paid (its number), or what the request was for. */
    paidFor: string;
    /** When, in the account's timezone ("2026-12-06 14:41 Europe/London"). */
    paidAt: string;
    receiptNumber: string;
  },
): string {
  const money = (a: string) => h(displayMoney(a, view.currency));
  const receipt =
    paid.receiptTo.length > 0 ? `<p>A receipt is on its way to ${h(paid.receiptTo.join(' and '))}.</p>` : '';
  const next = paid.plan?.next
    ? `<p>Next instalment: ${money(paid.plan.next.amount)} on ${h(paid.plan.next.dueDate)}.</p>`
    : '';
  return layout({
    title: `Payment received · ${view.merchant}`,
    nonce,
    merchant: view.merchant,
    body: `<h1>Thank you: payment received</h1>
<div class="alert ok" role="status" id="confirmation">We received ${money(paid.amount)}${paid.cardLast4 ? ` from the card ending ${h(paid.cardLast4)}` : ''}.</div>
<section class="card"><dl>
<dt>Amount paid</dt><dd data-field="amountPaid">${money(paid.amount)}</dd>
<dt>For</dt><dd data-field="paidFor">${h(paid.paidFor)}</dd>
<dt>Paid on</dt><dd data-field="paidAt">${h(paid.paidAt)}</dd>
<dt>Receipt number</dt><dd data-field="receiptNumber">${h(paid.receiptNumber)}</dd>
<dt>Reference</dt><dd data-field="reference">${h(paid.reference)}</dd>
<dt>Still to pay</dt><dd data-field="outstanding">${money(paid.outstanding)}</dd>
</dl>${next}${receipt}</section>
${view.token && !/^0(\.0+)?$/.test(paid.outstanding) ? `<a class="button" href="${h(tokenPath(view.token))}">Back to the payment page</a>` : ''}`,
  });
}
