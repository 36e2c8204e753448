// The customer portal's HTML: server-rendered, phone first, the payment page's look. Every value from data
// goes through `h`; the one inline style carries the response's CSP nonce; no script is needed.
import { csrfField, documentHead, h } from '../kit/html.ts';

export { csrfField, errorBox, h, money, table } from '../kit/html.ts';

// The payment page's style, with the portal's navigation and wide tables scrolling inside their card.
const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;background:#f3f5f8}
main{max-width:46rem;margin:0 auto;padding:1rem}
header{padding:.25rem 0 .5rem;display:flex;flex-wrap:wrap;justify-content:space-between;gap:.5rem;align-items:center}
header .merchant{font-weight:600;font-size:1.05rem}
nav ul{list-style:none;display:flex;flex-wrap:wrap;gap:.35rem;margin:0 0 1rem;padding:0}
nav a{display:block;padding:.45rem .7rem;border-radius:8px;background:#e8eefc;color:#1d4fc0;text-decoration:none;font-weight:600}
nav a[aria-current=page]{background:#1d4fc0;color:#fff}
h1{font-size:1.35rem;margin:.25rem 0 1rem}
h2{font-size:1.1rem;margin:0 0 .75rem}
.card{background:#fff;border-radius:12px;padding:1rem;margin:0 0 1rem;box-shadow:0 1px 3px rgba(0,0,0,.08)}
.scroll{overflow-x:auto}
dl{display:grid;grid-template-columns:auto minmax(0,1fr);gap:.35rem 1rem;margin:0}
dt{color:#5b6475}dd{margin:0;text-align:right;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
.big dd{font-weight:700;font-size:1.3rem}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}
input,select{width:100%;font:inherit;padding:.7rem .75rem;border:1px solid #c5cbd6;border-radius:8px;background:#fff;min-height:2.9rem}
input:focus,select:focus,a:focus,button:focus{outline:2px solid #2f6fec;outline-offset:1px}
.row{display:flex;flex-wrap:wrap;gap:.75rem}.row>div{flex:1 1 9rem}
button{width:100%;font:inherit;font-weight:700;padding:.85rem;margin-top:1rem;border:0;border-radius:8px;background:#2f6fec;color:#fff;min-height:3rem;cursor:pointer}
button.link{width:auto;background:none;color:#1d4fc0;padding:.2rem;margin:0;min-height:0;text-decoration:underline;font-weight:600}
a.button{display:block;text-align:center;padding:.85rem;border-radius:8px;background:#e8eefc;color:#1d4fc0;font-weight:700;text-decoration:none;margin-top:.5rem}
.alert{border-radius:8px;padding:.75rem;margin:0 0 1rem}
.alert.error{background:#fdecec;color:#8a1c1c;border:1px solid #f5c2c2}
.alert.ok{background:#e7f6ec;color:#1b5e33;border:1px solid #b9e2c6}
table{width:100%;border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:.92rem}
th,td{text-align:left;padding:.4rem .3rem;border-bottom:1px solid #eceff3;vertical-align:top}
td.amount,th.amount{text-align:right;white-space:nowrap}
.muted{color:#5b6475;font-size:.9rem}
footer{color:#5b6475;font-size:.8rem;text-align:center;padding:1rem 0}
`;

export type PortalPage = 'overview' | 'entries' | 'invoices' | 'calls' | 'payments' | 'settings';

const NAV: [PortalPage, string, string][] = [
  ['overview', '/portal', 'Balance'],
  ['entries', '/portal/entries', 'Statement'],
  ['invoices', '/portal/invoices', 'Invoices'],
  ['calls', '/portal/calls', 'Calls'],
  ['payments', '/portal/payments', 'Payments'],
  ['settings', '/portal/settings', 'Alerts and contacts'],
];

export interface Frame {
  title: string;
  nonce: string;
  merchant?: string | undefined;
  customer?: string | undefined;
  csrf?: string | undefined;
  page?: PortalPage | undefined;
  body: string;
}

export function layout(f: Frame): string {
  const nav = f.page
    ? `<nav aria-label="Portal"><ul>${NAV.map(([id, href, label]) => `<li><a href="${href}"${id === f.page ? ' aria-current="page"' : ''}>${label}</a></li>`).join('')}</ul></nav>`
    : '';
  const signOut = f.csrf
    ? `<form method="post" action="/portal/sign-out">${csrfField(f.csrf)}<button type="submit" class="link">Sign out</button></form>`
    : '';
  return `${documentHead(f.title, f.nonce, STYLE)}
<body>
<main>
<header><div><div class="merchant">${h(f.merchant ?? 'Customer portal')}</div>${f.customer ? `<div class="muted">${h(f.customer)}</div>` : ''}</div>${signOut}</header>
${nav}
${f.body}
<footer>Customer portal · your account's own data only</footer>
</main>
</body>
</html>`;
}
