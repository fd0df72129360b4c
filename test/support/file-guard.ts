/**
 * Loaded into every test file's process (test/run.ts). node:test reports a file whose process ends
 * with a non-zero code or a signal only as "test failed", with no reason; this prints who ended it.
 * (A SIGKILL, such as the kernel's out-of-memory killer sends, cannot be caught: then nothing prints.)
 */
const file = process.argv[1] ?? 'a test file'

process.on('exit', (code) => {
  if (code !== 0) process.stderr.write(`\n${file} ended with exit code ${code}; the process was ended here:\n${new Error('exit').stack}\n`)
})
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${file} received ${signal}\n`)
    process.exit(128 + (signal === 'SIGTERM' ? 15 : signal === 'SIGINT' ? 2 : 1))
  })
}
