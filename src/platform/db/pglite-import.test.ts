import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { PGlite } from '@electric-sql/pglite'
import { drizzle } from 'drizzle-orm/pglite'
import { migrate } from 'drizzle-orm/pglite/migrator'
import { getConstructionPlans } from 'pg-boss'
import { newOrg, uniqueEmail } from '../../../test/support/factories.ts'
import { embeddedEnv, scratchFolder, startTestApp } from '../../../test/support/harness.ts'
import { loadConfig } from '../../config.ts'
import { createAchievement, issueCredential, revokeCredential } from '../../features/credentials/service.ts'
import { verifyAuditChain } from '../audit/verify.ts'
import { openDatabase } from './client.ts'
import { MIGRATIONS_FOLDER } from './migrate.ts'
import { PGLITE_FOLDER } from './pglite-import.ts'

const TABLES = `
  select n.nspname as schema, c.relname as name
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where c.relkind in ('r', 'p') and not c.relispartition and n.nspname in ('public', 'drizzle', 'pgboss')
  order by 1, 2`

type Snapshot = Map<string, string[]>

/** Every row of every table, as sorted JSON texts per table. */
async function snapshot(query: (text: string) => Promise<{ rows: Record<string, unknown>[] }>): Promise<Snapshot> {
  const tables = (await query(TABLES)).rows as { schema: string; name: string }[]
  const result: Snapshot = new Map()
  for (const { schema, name } of tables) {
    const rows = (await query(`select row_to_json(t)::text as row from "${schema}"."${name}" t`)).rows as { row: string }[]
    result.set(`${schema}.${name}`, rows.map(({ row }) => row).sort())
  }
  return result
}

/** A PGlite folder as earlier versions left it: migrated, with pg-boss's schema, holding the given rows. */
async function writePgliteFolder(folder: string, rows: Snapshot): Promise<void> {
  const pglite = await PGlite.create(folder)
  try {
    await migrate(drizzle(pglite), { migrationsFolder: MIGRATIONS_FOLDER })
    await pglite.exec(getConstructionPlans('pgboss'))
    await pglite.exec('set session_replication_role = replica')
    for (const [table, texts] of rows) {
      const [schema, name] = table.split('.')
      await pglite.query(`delete from "${schema}"."${name}"`)
      if (texts.length === 0) continue
      await pglite.query(
        `insert into "${schema}"."${name}" overriding system value select * from json_populate_recordset(null::"${schema}"."${name}", $1::json)`,
        [`[${texts.join(',')}]`],
      )
    }
  } finally {
    await pglite.close()
  }
}

const folders: string[] = []
after(async () => {
  for (const folder of folders) await rm(folder, { recursive: true, force: true })
})

describe('moving a PGlite data folder into the embedded PostgreSQL', () => {
  it('keeps every row of every table, and the credentials and the audit chain still verify', async () => {
    const source = await startTestApp()
    let rows: Snapshot
    const credentialIds: string[] = []
    try {
      const { org, owner } = await newOrg(source)
      const scope = { orgId: org.id, accountId: owner.account.id, role: 'owner' as const }
      const achievement = await createAchievement(source.platform, scope, {
        name: 'Kept Badge',
        description: 'd',
        criteria: 'c',
        tags: [],
        alignments: [],
        validityMonths: 12,
      })
      for (const name of ['Ана Петровић', '李小龙', "Siobhán O'Brien"]) {
        credentialIds.push(
          (await issueCredential(source.platform, scope, { achievementId: achievement.id, recipientEmail: uniqueEmail(), recipientName: name })).credential.id,
        )
      }
      await revokeCredential(source.platform, scope, credentialIds[2] ?? '', 'Issued in error')
      await source.platform.audit.flush()
      rows = await snapshot((text) => source.platform.database.pool.query(text))
    } finally {
      await source.close()
    }
    assert.ok((rows.get('public.credentials') ?? []).length >= 3 && (rows.get('public.audit_entries') ?? []).length > 0)

    const dataDir = await scratchFolder('pglite-import-')
    folders.push(dataDir)
    await writePgliteFolder(join(dataDir, PGLITE_FOLDER), rows)

    const env = embeddedEnv(dataDir)
    const database = await openDatabase(loadConfig(env).database)
    try {
      const moved = await snapshot((text) => database.pool.query(text))
      assert.deepEqual([...moved.keys()], [...rows.keys()])
      for (const [table, texts] of rows) assert.deepEqual(moved.get(table), texts, `${table} kept every row`)
    } finally {
      await database.close()
    }
    assert.ok(!existsSync(join(dataDir, PGLITE_FOLDER)) && existsSync(join(dataDir, `${PGLITE_FOLDER}.imported`)), 'the old folder is kept aside')

    const target = await startTestApp({ environment: { env, dispose: async () => {} } })
    try {
      assert.equal((await verifyAuditChain(target.platform.db, target.platform.auditKey, undefined)).ok, true)
      const verdicts = []
      for (const id of credentialIds) {
        const response = await target.app.inject({ method: 'POST', url: '/api/v1/verify', payload: { id } })
        verdicts.push(response.json().verdict)
      }
      assert.deepEqual(verdicts, ['valid', 'valid', 'revoked'])
    } finally {
      await target.close()
    }
  })
})
