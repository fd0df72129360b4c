import { randomBytes } from 'node:crypto'
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import { type Static, Type } from 'typebox'
import { Value } from 'typebox/value'
import type { HmacSha256 } from '../crypto/hashing.ts'

const Hash = Type.String({ pattern: '^[0-9a-f]{64}$' })

/** The chain's head when the checkpoint was written: its newest entry's index and hash, and the hash of its first entry. */
const AuditCheckpoint = Type.Object({ index: Type.Integer({ minimum: 1 }), hash: Hash, firstHash: Hash, at: Type.String() })
export type AuditCheckpoint = Static<typeof AuditCheckpoint>

const SignedCheckpoint = Type.Object({ ...AuditCheckpoint.properties, mac: Hash })

/** The checkpoint file exists but is not one Laurel signed with this master key. */
export class InvalidCheckpointError extends Error {}

/**
 * The audit chain's anchor outside the database. The chain alone cannot show entries cut off its end
 * (the writer chains onto whatever tail it reads), so the head is also written here, signed with a key
 * derived from the master key: a table that no longer holds the entry a checkpoint names was cut back
 * or rewritten.
 */
export class CheckpointFile {
  constructor(
    readonly path: string,
    private readonly key: HmacSha256,
  ) {}

  /** The checkpoint, or undefined when there is no file; throws InvalidCheckpointError for a file Laurel did not sign. */
  async read(): Promise<AuditCheckpoint | undefined> {
    const text = await readFile(this.path, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined
      throw error
    })
    if (text === undefined) return undefined
    let signed: unknown
    try {
      signed = JSON.parse(text)
    } catch {
      throw new InvalidCheckpointError(`${this.path} is not a checkpoint file`)
    }
    if (!Value.Check(SignedCheckpoint, signed)) throw new InvalidCheckpointError(`${this.path} is not a checkpoint file`)
    const { mac, ...checkpoint } = signed
    if (mac !== this.sign(checkpoint)) {
      throw new InvalidCheckpointError(`${this.path} does not carry Laurel's signature: it was edited, or written with another master key`)
    }
    return checkpoint
  }

  /** Replaces the file atomically (a synced temporary file renamed over it), readable by its owner only. */
  async write(checkpoint: AuditCheckpoint): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 })
    const temporary = `${this.path}.${randomBytes(6).toString('hex')}.tmp`
    try {
      const file = await open(temporary, 'wx', 0o600)
      try {
        await file.writeFile(`${JSON.stringify({ ...checkpoint, mac: this.sign(checkpoint) })}\n`)
        await file.sync()
      } finally {
        await file.close()
      }
      await rename(temporary, this.path)
    } finally {
      await rm(temporary, { force: true })
    }
  }

  private sign({ index, hash, firstHash, at }: AuditCheckpoint): string {
    return this.key.hex(`${index}\n${hash}\n${firstHash}\n${at}`)
  }
}
