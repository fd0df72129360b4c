import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { startTestApp, type TestApp } from '../../../test/support/harness.ts'
import { AUTH_RATE_LIMIT } from './server.tsx'

let testApp: TestApp
before(async () => {
  testApp = await startTestApp()
})
after(() => testApp.close())

describe('rate limits', () => {
  it('limits sign-in attempts per address, whatever the account', async () => {
    const client = testApp.client({ ip: '198.51.100.201' })
    const statuses: number[] = []
    for (let i = 0; i <= AUTH_RATE_LIMIT.max; i++) {
      statuses.push((await client.submit('/sign-in', { email: `nobody${i}@example.org`, password: 'wrong-password-x' })).statusCode)
    }
    assert.equal(statuses.at(-1), 429)
    assert.equal((await testApp.client({ ip: '198.51.100.202' }).get('/sign-in')).statusCode, 200, 'other addresses are not affected')
  })
})
