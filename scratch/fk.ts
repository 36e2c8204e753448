import { sql } from 'kysely';
import pg from 'pg';
import { openPostgres } from '../src/db/connection.ts';
import { migrate } from '../src/db/migrate.ts';
const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/test' });
await admin.connect();
await admin.query('drop database if exists fkx with (force)'); await admin.query('create database fkx');
const d = await openPostgres({ connectionString: 'postgres://postgres@127.0.0.1:5432/fkx' });
await migrate(d);
const db = d.db;
await sql`insert into accounts (name, timezone, currency) values ('a','UTC','GBP')`.execute(db);
await sql`insert into customers (account_id, name) select 1, 'c' || g from generate_series(1,10000) g`.execute(db);
await sql`insert into features (account_id, customer_id, name) select 1, id, 'f' from customers`.execute(db);
await sql`insert into invoices (account_id, customer_id) select 1, id from customers`.execute(db);
await sql`insert into billing_transactions (account_id, customer_id, invoice_id, transaction_type, transaction_date, bill_date, value, vat_rate) select 1, (g % 10000) + 1, (g % 10000) + 1, 'oneOff', '2026-10-01', '2026-10-01', 1, 20 from generate_series(1, 1000000) g`.execute(db);
await sql`analyze`.execute(db);
async function t(label: string) {
  const s = performance.now();
  await sql`insert into billing_transactions (account_id, customer_id, feature_id, invoice_id, transaction_type, transaction_date, bill_date, value, vat_rate, origin)
    select 1, g, g, g, 'recurring', '2026-11-01', '2026-11-01', 12.5, 20, 'recurring' from generate_series(1, 10000) g`.execute(db);
  console.log(label, (performance.now() - s).toFixed(0), 'ms');
}
await t('with FKs');
await t('with FKs again');
await sql`alter table billing_transactions drop constraint billing_transactions_account_id_customer_id_fkey, drop constraint billing_transactions_account_id_feature_id_fkey, drop constraint billing_transactions_account_id_invoice_id_fkey`.execute(db);
await t('no FKs');
await t('no FKs again');
const s = performance.now();
await sql`update invoices set call_count = call_count + 1 where account_id = 1`.execute(db);
console.log('update 10k invoices', (performance.now() - s).toFixed(0));
await d.close(); await admin.query('drop database fkx with (force)'); await admin.end();
