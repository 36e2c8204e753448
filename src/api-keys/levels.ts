// API key levels, 1 to 5. Each level can do everything the levels below it can.
// Level 5 is the "expert level" of the invoices document (for example, unlinking an invoice from Xero).
export const KeyLevel = {
  /** Read anything in the account. */
  read: 1,
  /** Add, change and delete charges (billing transactions) on unsent invoices. */
  charges: 2,
  /** Manage customers and their features. */
  customers: 3,
  /** Create, change, delete and approve invoices; run billing. */
  invoices: 4,
  /** Account settings, API keys and the actions the documents reserve for expert level. */
  expert: 5,
} as const;

export type KeyLevel = (typeof KeyLevel)[keyof typeof KeyLevel];

export function isKeyLevel(n: number): n is KeyLevel {
  return Number.isInteger(n) && n >= 1 && n <= 5;
}
