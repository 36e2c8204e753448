// Document 003's invoice object lives in the kit: the console shows and exports the same report.
export {
  collectInvoice,
  toCollectInvoice,
  utcTime,
  type CollectInvoice,
} from '../kit/views/collect-invoice.ts';
