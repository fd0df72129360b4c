import { parseArgs } from 'node:util'
import type { Command } from '../../platform/feature.ts'
import { newSecret } from '../../platform/ids.ts'
import { createAccount, findAccountByEmail, setPlatformAdmin } from './service.ts'

export const createAdminCommand: Command = {
  name: 'user create-admin',
  summary: 'Create a platform administrator (or make an existing account one)',
  usage:
    'laurel user create-admin --email EMAIL [--name NAME]\n\nA new account gets a random password, printed once. Use "Forgot password" to choose your own.',
  async run(platform, args) {
    const { values } = parseArgs({ args, options: { email: { type: 'string' }, name: { type: 'string' } } })
    if (!values.email) {
      console.error('--email is required.')
      return 2
    }
    if (await findAccountByEmail(platform.db, values.email)) {
      await setPlatformAdmin(platform, values.email, true)
      console.log(`${values.email} is now a platform administrator.`)
      return 0
    }
    const password = newSecret(18)
    await createAccount(platform, { email: values.email, name: values.name ?? 'Administrator', password, isEmailVerified: true, isPlatformAdmin: true })
    console.log(`Created platform administrator ${values.email}.\nPassword (shown once): ${password}`)
    return 0
  },
}
