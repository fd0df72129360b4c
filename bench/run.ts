/**
 * `npm run bench -- NAME [args]` runs bench/NAME.ts, whose default export takes the remaining
 * arguments and returns an exit code. Without a name, it lists the benchmarks.
 *
 * Every benchmark ends its output with one line per headline figure:
 *   FIGURE <name> <value> <unit> target <op> <value> met|missed
 */
import { readdir } from 'node:fs/promises'
import { cleanUpOnSignals } from './support/cleanup.ts'

type Benchmark = (args: string[]) => Promise<number>

async function listBenchmarks(): Promise<string[]> {
  const files = await readdir(new URL('.', import.meta.url))
  return files
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts') && file !== 'run.ts')
    .map((file) => file.slice(0, -'.ts'.length))
    .sort()
}

async function main([name, ...args]: string[]): Promise<number> {
  const names = await listBenchmarks()
  if (!name || !names.includes(name)) {
    if (name) console.error(`Unknown benchmark "${name}".`)
    console.log(`Usage: npm run bench -- NAME\n\nBenchmarks:\n${names.map((known) => `  ${known}`).join('\n')}`)
    return name ? 2 : 0
  }
  cleanUpOnSignals()
  const { default: benchmark } = (await import(`./${name}.ts`)) as { default: Benchmark }
  return benchmark(args)
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  },
)
