import { PGlite } from '@electric-sql/pglite'
const db = await PGlite.create(process.argv[2])
const tables = (await db.query<{ t: string }>(`select format('%I.%I', n.nspname, c.relname) as t from pg_class c join pg_namespace n on n.oid=c.relnamespace where c.relkind in ('r','p') and not c.relispartition and n.nspname in ('public','drizzle','pgboss') order by 1`)).rows
let total = 0
const out: string[] = []
for (const { t } of tables) { const n = Number((await db.query<{ n: number }>(`select count(*)::int as n from ${t}`)).rows[0]?.n); total += n; if (n) out.push(`${t}=${n}`) }
console.log(tables.length, 'tables', total, 'rows'); console.log(out.join(' '))
await db.close()
