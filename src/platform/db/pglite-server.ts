import { createServer, type Server, type Socket } from 'node:net'
import type { PGlite } from '@electric-sql/pglite'

const SSL_REQUEST_CODE = 80877103
const CANCEL_REQUEST_CODE = 80877102

interface Unit {
  connectionId: number
  run: () => Promise<void>
}

/**
 * Serves one PGlite database to many PostgreSQL-protocol connections on a unix socket.
 *
 * PGlite is a single-connection engine, so work is serialised. The unit of work is everything a
 * client sends up to a Sync (extended protocol) or a simple Query: pglite-socket's own multiplexer
 * interleaves single messages of different connections, which breaks the unnamed statement and
 * portal that node-postgres relies on ("portal does not exist" under concurrency). While a
 * connection holds an open transaction, only that connection's units run, so transactions stay
 * isolated; a connection that drops inside a transaction is rolled back.
 */
export class PgliteSocketServer {
  private readonly queue: Unit[] = []
  private isPumping = false
  private transactionOwner: number | null = null
  private nextConnectionId = 1
  private readonly sockets = new Set<Socket>()
  private server: Server | undefined

  constructor(private readonly pglite: PGlite) {}

  async listen(path: string): Promise<void> {
    const server = createServer((socket) => this.accept(socket))
    this.server = server
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(path, () => resolve())
    })
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy()
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
  }

  private accept(socket: Socket): void {
    const connectionId = this.nextConnectionId++
    this.sockets.add(socket)
    let buffer = Buffer.alloc(0)
    // Chunks of a message still incomplete, joined only once it is whole: joining on every chunk
    // copied a large message (an audit batch is hundreds of kilobytes) once per chunk.
    const incomplete: Buffer[] = []
    let incompleteBytes = 0
    let bytesNeeded = 0
    let pending: Buffer[] = []
    let hasStarted = false
    let previous = Promise.resolve()

    const submit = (messages: Buffer[]) => {
      previous = previous.then(
        () =>
          new Promise<void>((resolve) => {
            this.enqueue({
              connectionId,
              run: async () => {
                try {
                  // One message at a time: PGlite stalls when a whole Parse…Sync batch produces a large
                  // result in one call. The batch still runs as one unit, so no other connection interleaves.
                  await this.pglite.runExclusive(async () => {
                    for (const message of messages) {
                      // The chunk is a view into PGlite's memory, which the next call overwrites; the socket
                      // may send it later (backpressure), so it gets its own copy.
                      await this.pglite.execProtocolRawStream(new Uint8Array(message), {
                        onRawData: (data) => socket.writable && socket.write(Buffer.from(data)),
                      })
                    }
                  })
                } finally {
                  resolve()
                }
              },
            })
          }),
      )
    }

    socket.on('data', (chunk) => {
      incomplete.push(chunk)
      incompleteBytes += chunk.length
      if (buffer.length + incompleteBytes < bytesNeeded) return
      buffer = buffer.length === 0 && incomplete.length === 1 ? chunk : Buffer.concat([buffer, ...incomplete])
      incomplete.length = 0
      incompleteBytes = 0
      for (;;) {
        if (!hasStarted) {
          if (buffer.length < 8) {
            bytesNeeded = 8
            return
          }
          const length = buffer.readInt32BE(0)
          if (buffer.length < length) {
            bytesNeeded = length
            return
          }
          const code = buffer.readInt32BE(4)
          const message = buffer.subarray(0, length)
          buffer = buffer.subarray(length)
          if (code === SSL_REQUEST_CODE) {
            socket.write('N')
            continue
          }
          if (code === CANCEL_REQUEST_CODE) {
            socket.end()
            return
          }
          hasStarted = true
          submit([message])
          continue
        }
        if (buffer.length < 5) {
          bytesNeeded = 5
          return
        }
        const length = buffer.readInt32BE(1) + 1
        if (buffer.length < length) {
          bytesNeeded = length
          return
        }
        const message = buffer.subarray(0, length)
        buffer = buffer.subarray(length)
        const type = message[0]
        if (type === 0x58 /* X: Terminate */) {
          socket.end()
          return
        }
        pending.push(message)
        if (type === 0x53 /* S: Sync */ || type === 0x51 /* Q: Query */ || type === 0x48 /* H: Flush */) {
          submit(pending)
          pending = []
        }
      }
    })
    socket.on('error', () => socket.destroy())
    socket.on('close', () => {
      this.sockets.delete(socket)
      for (let i = this.queue.length - 1; i >= 0; i--) if (this.queue[i]?.connectionId === connectionId) this.queue.splice(i, 1)
      if (this.transactionOwner === connectionId) {
        this.queue.unshift({ connectionId, run: () => this.pglite.exec('ROLLBACK').then(() => undefined) })
        void this.pump()
      }
    })
  }

  private enqueue(unit: Unit): void {
    this.queue.push(unit)
    void this.pump()
  }

  private async pump(): Promise<void> {
    if (this.isPumping) return
    this.isPumping = true
    try {
      while (this.queue.length > 0) {
        const owner = this.transactionOwner
        const index = owner === null ? 0 : this.queue.findIndex((unit) => unit.connectionId === owner)
        if (index === -1) break
        const [unit] = this.queue.splice(index, 1)
        if (!unit) break
        try {
          await unit.run()
        } catch {
          // The engine reported the failure to the client in protocol; nothing more to do here.
        }
        this.transactionOwner = this.pglite.isInTransaction() ? unit.connectionId : null
      }
    } finally {
      this.isPumping = false
    }
  }
}
