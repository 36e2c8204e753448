// The body of every delivery of an event: the same bytes each time (retries and replays included), so a
// receiver can de-duplicate on `id` and a signature can be checked over exactly what was sent.
//
//   {"id":"evt_...","type":"invoice.approved","created":"2026-11-02T09:30:00.000Z","accountID":"7","data":{...}}

export interface EventForBody {
  account_id: number;
  public_id: string;
  type: string;
  created_at: Date;
  /** The payload's JSON text as stored (json keeps it verbatim). */
  payload_text: string;
}

export function eventBody(event: EventForBody): string {
  return `{"id":${JSON.stringify(event.public_id)},"type":${JSON.stringify(event.type)},"created":${JSON.stringify(event.created_at.toISOString())},"accountID":${JSON.stringify(String(event.account_id))},"data":${event.payload_text}}`;
}
