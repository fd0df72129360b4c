import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject, randomBytes } from 'node:crypto'
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { eq, sql } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { newId } from '../ids.ts'
import { dataKeys } from './schema.ts'

const FORMAT = 'lk1'
const IV_BYTES = 12
const TAG_BYTES = 16

/** A column that holds keyring ciphertext; features declare theirs so rotation finds every secret. */
export interface EncryptedColumn {
  table: string
  idColumn: string
  column: string
  /** Rows re-encrypted per query: small for columns of files (bytea), which are decrypted whole in memory. */
  batchSize?: number
}

/**
 * AES-256-GCM envelope encryption. Secrets are encrypted with a data key; data keys are stored
 * wrapped by the master key. Every ciphertext names its data key (`lk1:<keyId>:<payload>`), so keys
 * can rotate while old ciphertexts stay readable until they are re-encrypted.
 */
export class Keyring {
  // As KeyObjects: a Buffer key is turned into one on every encryption, which more than doubled its cost.
  private readonly keys = new Map<string, KeyObject>()
  private activeKeyId = ''

  private constructor(
    private readonly db: Db,
    private readonly masterKey: Buffer,
  ) {}

  static async open(db: Db, masterKey: Buffer): Promise<Keyring> {
    const keyring = new Keyring(db, masterKey)
    await keyring.reload()
    if (!keyring.activeKeyId) await keyring.createActiveKey()
    return keyring
  }

  get activeKey(): string {
    return this.activeKeyId
  }

  encrypt(plaintext: string): string {
    const key = this.keys.get(this.activeKeyId)
    if (!key) throw new Error('The keyring has no active data key.')
    return `${FORMAT}:${this.activeKeyId}:${seal(key, Buffer.from(plaintext, 'utf8'), this.activeKeyId).toString('base64url')}`
  }

  async decrypt(ciphertext: string): Promise<string> {
    const [format, keyId, payload] = ciphertext.split(':')
    if (format !== FORMAT || !keyId || payload === undefined) throw new Error('Not a keyring ciphertext.')
    if (!this.keys.has(keyId)) await this.reload()
    const key = this.keys.get(keyId)
    if (!key) throw new Error(`Unknown data key ${keyId}.`)
    return open(key, Buffer.from(payload, 'base64url'), keyId).toString('utf8')
  }

  /** `encrypt` for a file: the same `lk1:<keyId>:` prefix (as bytes), then the sealed bytes as they are, for a bytea column. */
  encryptBytes(plaintext: Uint8Array): Buffer {
    const key = this.keys.get(this.activeKeyId)
    if (!key) throw new Error('The keyring has no active data key.')
    return Buffer.concat([Buffer.from(`${FORMAT}:${this.activeKeyId}:`), seal(key, asBuffer(plaintext), this.activeKeyId)])
  }

  async decryptBytes(ciphertext: Uint8Array): Promise<Buffer> {
    const sealed = asBuffer(ciphertext)
    const keyEnd = sealed.indexOf(':', FORMAT.length + 1)
    const [format, keyId] = sealed.subarray(0, Math.max(0, keyEnd)).toString('latin1').split(':')
    if (format !== FORMAT || !keyId) throw new Error('Not a keyring ciphertext.')
    if (!this.keys.has(keyId)) await this.reload()
    const key = this.keys.get(keyId)
    if (!key) throw new Error(`Unknown data key ${keyId}.`)
    return open(key, sealed.subarray(keyEnd + 1), keyId)
  }

  keyIdOf(ciphertext: string): string | undefined {
    return ciphertext.split(':')[1]
  }

  /** Makes a new active data key; earlier keys stay readable until `retireKeysOtherThanActive`. */
  async createActiveKey(): Promise<string> {
    const id = newId('key')
    const key = randomBytes(32)
    await this.db.transaction(async (tx) => {
      await tx.update(dataKeys).set({ isActive: false }).where(eq(dataKeys.isActive, true))
      await tx.insert(dataKeys).values({ id, wrappedKey: seal(this.masterKey, key, id).toString('base64url'), isActive: true })
    })
    this.keys.set(id, createSecretKey(key))
    this.activeKeyId = id
    return id
  }

  /**
   * Re-encrypts every value in `columns` not under the active key; returns how many it changed. A bytea
   * column (from `encryptBytes`) matches the same `like` prefix, its pattern taken as bytes.
   */
  async reencrypt(columns: EncryptedColumn[], onProgress: (done: number, total: number) => Promise<void>): Promise<number> {
    await this.reload()
    const prefix = `${FORMAT}:${this.activeKeyId}:`
    const stale = (column: EncryptedColumn) => sql`${sql.identifier(column.column)} is not null and ${sql.identifier(column.column)} not like ${`${prefix}%`}`
    let total = 0
    for (const column of columns) {
      const result = await this.db.execute<{ count: string }>(sql`select count(*) as count from ${sql.identifier(column.table)} where ${stale(column)}`)
      total += Number(result.rows[0]?.count ?? 0)
    }
    let done = 0
    await onProgress(done, total)
    for (const column of columns) {
      for (;;) {
        const batch = await this.db.execute<{ id: string; value: string | Buffer }>(
          sql`select ${sql.identifier(column.idColumn)} as id, ${sql.identifier(column.column)} as value
              from ${sql.identifier(column.table)} where ${stale(column)} limit ${column.batchSize ?? 200}`,
        )
        if (batch.rows.length === 0) break
        for (const row of batch.rows) {
          const value = Buffer.isBuffer(row.value) ? this.encryptBytes(await this.decryptBytes(row.value)) : this.encrypt(await this.decrypt(row.value))
          await this.db.execute(
            sql`update ${sql.identifier(column.table)} set ${sql.identifier(column.column)} = ${value}
                where ${sql.identifier(column.idColumn)} = ${row.id}`,
          )
          done++
        }
        await onProgress(done, total)
      }
    }
    return done
  }

  async retireKeysOtherThanActive(): Promise<void> {
    await this.db
      .update(dataKeys)
      .set({ retiredAt: new Date(), wrappedKey: '' })
      .where(sql`${dataKeys.id} <> ${this.activeKeyId} and ${dataKeys.retiredAt} is null`)
    for (const id of this.keys.keys()) if (id !== this.activeKeyId) this.keys.delete(id)
  }

  private unwrap(keyId: string, wrappedKey: string): Buffer {
    try {
      return open(this.masterKey, Buffer.from(wrappedKey, 'base64url'), keyId)
    } catch {
      throw new Error(
        'The master key does not open this database’s data keys: LAUREL_MASTER_KEY (or master.key in DATA_DIR) is not the key this data was created with. Restore the original key.',
      )
    }
  }

  private async reload(): Promise<void> {
    const rows = await this.db.select().from(dataKeys)
    for (const row of rows) {
      if (row.retiredAt) continue
      if (!this.keys.has(row.id)) this.keys.set(row.id, createSecretKey(this.unwrap(row.id, row.wrappedKey)))
      if (row.isActive) this.activeKeyId = row.id
    }
  }
}

const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)

function seal(key: KeyObject | Buffer, plaintext: Buffer, associatedData: string): Buffer {
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  cipher.setAAD(Buffer.from(associatedData))
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()])
  return Buffer.concat([iv, cipher.getAuthTag(), body])
}

function open(key: KeyObject | Buffer, sealed: Buffer, associatedData: string): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES))
  decipher.setAAD(Buffer.from(associatedData))
  decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES))
  return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()])
}

/** The master key from configuration, or the one in the data folder, generated (mode 0600) on first run. */
export async function loadMasterKey(configured: Buffer | undefined, dataDir: string): Promise<Buffer> {
  if (configured) return configured
  const path = join(dataDir, 'master.key')
  const existing = await readFile(path, 'utf8').catch(() => undefined)
  if (existing) return Buffer.from(existing.trim(), 'hex')
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const key = randomBytes(32)
  await writeFile(path, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' }).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error
  })
  await chmod(path, 0o600)
  return Buffer.from((await readFile(path, 'utf8')).trim(), 'hex')
}
