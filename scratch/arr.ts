import { openPglite } from '../src/db/connection.ts';
import { sql } from 'kysely';
const d = await openPglite();
const r = await sql`select * from unnest(${[1,2,3]}::bigint[], ${['1.50','2.25','-0.01']}::numeric[], ${['2026-01-01', null, '2026-02-01']}::date[]) as v(id, amount, d)`.execute(d.db);
console.log(r.rows);
const r2 = await sql`select ${JSON.stringify({a:1})}::jsonb as j, ${['x','y']}::text[] as arr, now() as t, '2026-01-05'::date as dd, 5::bigint as b, sum(x) as s from generate_series(1,3) x`.execute(d.db);
console.log(r2.rows);
await d.close();
