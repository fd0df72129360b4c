import { chmod } from 'node:fs/promises'
import { parentPort, workerData } from 'node:worker_threads'
import { PGlite } from '@electric-sql/pglite'
import { PgliteSocketServer } from './pglite-server.ts'

/**
 * The embedded database's own thread. PGlite runs each query synchronously on the thread that holds
 * it, so on the main thread every query would stall HTTP work; here it has a core of its own. It is
 * reached only through the unix socket; the thread that started it sends 'close' to stop it.
 */
export interface EngineOptions {
  dataDir: string
  socketPath: string
}

const { dataDir, socketPath } = workerData as EngineOptions
const port = parentPort
if (!port) throw new Error('pglite-worker.ts runs only as a worker thread.')

const pglite = await PGlite.create(dataDir)
const server = new PgliteSocketServer(pglite)
await server.listen(socketPath)
await chmod(socketPath, 0o600)
port.on('message', async (message) => {
  if (message !== 'close') return
  await server.close()
  await pglite.close()
  port.postMessage('closed')
})
port.postMessage('ready')
