import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { describe, it } from 'node:test'

const root = new URL('..', import.meta.url).pathname

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(join(root, dir), { recursive: true, withFileTypes: true })
  return entries
    .filter((entry) => entry.isFile() && /\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
}

async function importsOf(file: string): Promise<string[]> {
  const text = await readFile(join(root, file), 'utf8')
  return [...text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((match) => match[1] ?? '')
}

describe('module boundaries', () => {
  it('platform/ never imports features/', async () => {
    for (const file of await sourceFiles('src/platform')) {
      for (const path of await importsOf(file)) assert.ok(!path.includes('features/'), `${file} imports ${path}`)
    }
  })

  it('a feature uses another feature only through its service.ts', async () => {
    const featureOf = (path: string) => /^src\/features\/([\w-]+)\//.exec(path)?.[1]
    for (const file of await sourceFiles('src/features')) {
      for (const path of await importsOf(file)) {
        if (!path.startsWith('.')) continue
        const target = relative(root, join(root, dirname(file), path))
        const other = featureOf(target)
        if (!other || other === featureOf(file)) continue
        // A feature grouped in subfolders offers each part's service.ts (privacy-center/consent/service.ts).
        assert.match(target, new RegExp(`^src/features/${other}/([\\w-]+/)?service\\.ts$`), `${file} imports ${path}: use ${other}/service.ts`)
      }
    }
  })

  it('only config.ts reads process.env', async () => {
    for (const file of await sourceFiles('src')) {
      if (file === 'src/config.ts') continue
      assert.ok(!(await readFile(join(root, file), 'utf8')).includes('process.env'), `${file} reads process.env`)
    }
  })
})
