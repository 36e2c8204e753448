// HTML helpers shared by the server-rendered surfaces (payment page, customer portal, operator console).
// Every value that comes from data goes through `h`; amounts are formatted on their decimal strings.

/** Escapes text for HTML content and attribute values. */
export function h(value: string | number | null | undefined): string {
  return String(value ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

const symbols = new Map<string, string>();

function currencySymbol(currency: string): string {
  let symbol = symbols.get(currency);
  if (symbol !== undefined) return symbol;
  try {
    symbol =
      new Intl.NumberFormat('en-GB', { style: 'currency', currency })
        .formatToParts(0)
        .find((p) => p.type === 'currency')?.value ?? `${currency} `;
  } catch {
    symbol = `${currency} `;
  }
  if (/^[A-Z]{3}$/.test(symbol)) symbol = `${symbol} `;
  if (symbols.size < 400) symbols.set(currency, symbol);
  return symbol;
}

/** "£1,234.56" from a decimal string, grouped on the string (never a float). */
export function money(amount: string, currency: string): string {
  const symbol = currencySymbol(currency);
  const negative = amount.startsWith('-');
  const [whole, fraction] = (negative ? amount.slice(1) : amount).split('.') as [string, string | undefined];
  return `${negative ? '-' : ''}${symbol}${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${fraction !== undefined ? `.${fraction}` : ''}`;
}

/**
 * The start of a page that carries its own style sheet (the payment page, the portal): the document, its
 * head (not indexed, no referrer) and the style under the response's CSP nonce, up to the body.
 */
export function documentHead(title: string, nonce: string, style: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta name="referrer" content="no-referrer">
<title>${h(title)}</title>
<style nonce="${h(nonce)}">${style}</style>
</head>`;
}

export function csrfField(token: string): string {
  return `<input type="hidden" name="csrf" value="${h(token)}">`;
}

export interface Column {
  title: string;
  amount?: boolean;
  /** A sortable column: the link that sorts by it, and whether the list is sorted by it now. */
  sort?: { href: string; state: 'ascending' | 'descending' | 'none' } | undefined;
}

function headCell(c: Column): string {
  const cls = c.amount ? ' class="amount"' : '';
  if (!c.sort) return `<th scope="col"${cls}>${h(c.title)}</th>`;
  const { href, state } = c.sort;
  const next = state === 'ascending' ? 'descending' : 'ascending';
  const arrow = state === 'ascending' ? ' ▲' : state === 'descending' ? ' ▼' : '';
  return `<th scope="col"${cls}${state === 'none' ? '' : ` aria-sort="${state}"`}><a class="sort" href="${h(href)}">${h(c.title)}<span aria-hidden="true">${arrow}</span><span class="skip">, sort ${next}</span></a></th>`;
}

/**
 * A table that scrolls inside its own box if it must (the page itself never scrolls sideways); each cell
 * carries its column's title, so a narrow screen's style sheet can show every row as a card of labelled
 * values instead (the console's does, under 40rem).
 */
export function table(caption: string, head: Column[], rows: string[][], empty: string): string {
  if (rows.length === 0) return `<p class="muted empty">${h(empty)}</p>`;
  return `<div class="scroll" tabindex="0" role="region" aria-label="${h(caption)}"><table><caption class="muted">${h(caption)}</caption><thead><tr>${head.map(headCell).join('')}</tr></thead><tbody>${rows
    .map(
      (r) =>
        `<tr>${r.map((cell, i) => `<td${head[i]?.amount ? ' class="amount"' : ''} data-label="${h(head[i]?.title ?? '')}">${cell}</td>`).join('')}</tr>`,
    )
    .join('')}</tbody></table></div>`;
}

export function errorBox(error: string | undefined): string {
  return error ? `<div class="alert error" role="alert">${h(error)}</div>` : '';
}

export function okBox(message: string | undefined): string {
  return message ? `<div class="alert ok" role="status">${h(message)}</div>` : '';
}
