/**
 * The entry of the bundle `npm start` runs. For the commands that serve, it starts the embedded
 * database first, so the server's start runs while the rest of the app loads here; then it hands
 * over to main.ts.
 */
import { loadConfig } from './config.ts'
import { startEmbeddedEarly } from './platform/db/client.ts'

const [command, ...args] = process.argv.slice(2)
if ((command === 'serve' || command === 'worker') && !args.includes('--help') && !args.includes('-h')) {
  try {
    startEmbeddedEarly(loadConfig().database)
  } catch {
    // main.ts explains a bad configuration.
  }
}
await import('./main.ts')
