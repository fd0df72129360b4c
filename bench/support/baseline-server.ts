/**
 * The baseline for bench/http.ts: a bare Fastify hello-world with no plugins, run as a child process
 * like the Laurel server. Prints {"port": …} as one JSON line on stdout; exits when stdin closes.
 */
import Fastify from 'fastify'

const app = Fastify()
app.get('/', async () => ({ hello: 'world' }))
await app.listen({ port: 0, host: '127.0.0.1' })
const address = app.server.address()
if (!address || typeof address === 'string') throw new Error('The server has no TCP address.')
process.stdout.write(`${JSON.stringify({ port: address.port })}\n`)

process.stdin.resume()
process.stdin.on('end', () => {
  app.close().then(
    () => process.exit(0),
    () => process.exit(1),
  )
})
