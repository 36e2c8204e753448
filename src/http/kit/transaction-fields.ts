// A charge's own fields by their wire names (the transactions document 001; the console's charge form uses
// the same) and by the domain names the transactions use cases take (transactions/input.ts).
import { DomainError } from '../../shared/errors.ts';

export const TRANSACTION_WIRE_NAMES = {
  type: 'transactionType',
  value: 'transactionValue',
  vatRate: 'transactionVATRate',
  refundedId: 'transactionRefundedID',
} as const;

function isDomainName(field: string): field is keyof typeof TRANSACTION_WIRE_NAMES {
  return Object.hasOwn(TRANSACTION_WIRE_NAMES, field);
}

/** Runs a transactions use case; a field it refuses is named as the caller sent it ("transactionValue: …"). */
export async function withTransactionWireNames<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (
      !(err instanceof DomainError) ||
      err.field === undefined ||
      !isDomainName(err.field) ||
      !err.message.startsWith(`${err.field}: `)
    )
      throw err;
    const wire = TRANSACTION_WIRE_NAMES[err.field];
    throw new DomainError(err.code, `${wire}${err.message.slice(err.field.length)}`, wire);
  }
}
