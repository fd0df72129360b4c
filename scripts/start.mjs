/**
 * `npm start`: runs Laurel from a bundle of `src/` in `.build/`, built with esbuild when it is missing
 * or older than any source file. Loading one bundle takes a fraction of the time tsx needs to compile
 * every module on each start. Arguments go to the CLI as with `laurel` (npm start passes `serve --demo`).
 */
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const OUT = join(ROOT, '.build')
const ENTRY = join(OUT, 'laurel.mjs')

async function newestSourceMs() {
  let newest = (await stat(join(ROOT, 'package.json'))).mtimeMs
  for (const entry of await readdir(join(ROOT, 'src'), { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) newest = Math.max(newest, (await stat(join(entry.parentPath, entry.name))).mtimeMs)
  }
  return newest
}

async function isBundleCurrent() {
  const built = await stat(ENTRY).catch(() => null)
  return built !== null && built.mtimeMs >= (await newestSourceMs())
}

async function bundle() {
  const { build } = await import('esbuild')
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: {
      laurel: 'src/entry.ts',
      'signing-worker': 'src/features/credentials/signing/signing-worker.ts',
    },
    outdir: OUT,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    packages: 'external',
    jsx: 'automatic',
    jsxImportSource: '@kitajs/html',
    sourcemap: 'linked',
    write: false,
    logLevel: 'warning',
  })
  // Written beside, then swapped in whole, so a start running at the same moment never loads half a bundle.
  const staging = `${OUT}.${process.pid}`
  await rm(staging, { recursive: true, force: true })
  for (const file of result.outputFiles) {
    const target = join(staging, relative(OUT, file.path))
    await mkdir(dirname(target), { recursive: true })
    await writeFile(target, file.contents)
  }
  await rm(OUT, { recursive: true, force: true })
  await rename(staging, OUT)
}

if (!(await isBundleCurrent())) await bundle()
process.setSourceMapsEnabled(true)
await import(pathToFileURL(ENTRY).href)
