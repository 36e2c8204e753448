// Delivery settings a user manages through the API: the customer's purchase order number (printed on
// every bill), what a named bill style shows, and when named documents and styles last changed.

export const up = /* sql */ `
-- Printed on the customer's bills (an invoice's own purchaseOrderNumber wins).
alter table customers add column purchase_order_number text;

-- A named bill style can leave the call summary by destination off (it is on by default).
alter table bill_styles add column show_call_summary boolean not null default true;
alter table bill_styles add column updated_at timestamptz not null default now();
alter table message_templates add column updated_at timestamptz not null default now();
alter table attachments add column updated_at timestamptz not null default now();
alter table usage_report_profiles add column updated_at timestamptz not null default now();
`;
