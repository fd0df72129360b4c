import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The project folder (the one holding package.json), found from this file upward, so paths to
 * migrations, assets and node_modules hold both when running the sources with tsx and when running
 * the bundle `npm start` builds into `.build/`.
 */
function findProjectRoot(from: string): string {
  for (let folder = from; ; folder = dirname(folder)) {
    if (existsSync(join(folder, 'package.json'))) return folder
    if (dirname(folder) === folder) throw new Error(`No package.json above ${from}.`)
  }
}

export const PROJECT_ROOT = findProjectRoot(dirname(fileURLToPath(import.meta.url)))

/** A path inside the project folder. */
export const projectPath = (...parts: string[]) => join(PROJECT_ROOT, ...parts)

/** True when running from the bundle in `.build/` rather than the TypeScript sources. */
export const isBundled = !import.meta.url.endsWith('.ts')
