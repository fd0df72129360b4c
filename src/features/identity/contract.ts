import { Type } from 'typebox'
import { LocaleSchema } from '../../platform/i18n/locales.ts'
import { MIN_PASSWORD_LENGTH } from './passwords.ts'

const Email = Type.String({ format: 'email', maxLength: 254, errorMessage: 'Enter an email address like name@example.org.' })
const NewPassword = Type.String({ minLength: MIN_PASSWORD_LENGTH, maxLength: 256, errorMessage: `Use at least ${MIN_PASSWORD_LENGTH} characters.` })
const Name = Type.String({ minLength: 1, maxLength: 200, errorMessage: 'Enter your name (up to 200 characters).' })

const Checkbox = Type.Optional(Type.Literal('on'))
const BirthDate = Type.Optional(Type.String({ maxLength: 10, errorMessage: 'Enter the date of birth as YYYY-MM-DD.' }))
const GuardianEmail = Type.Optional(
  Type.String({ format: 'email', maxLength: 254, errorMessage: 'Enter your parent’s or guardian’s email address, like name@example.org.' }),
)

export const SignUpForm = Type.Object({
  name: Name,
  email: Email,
  password: NewPassword,
  birthDate: BirthDate,
  guardianEmail: GuardianEmail,
  marketing: Checkbox,
})
export const SignInForm = Type.Object({
  email: Email,
  password: Type.String({ minLength: 1, maxLength: 256, errorMessage: 'Enter your password.' }),
  next: Type.Optional(Type.String({ maxLength: 500 })),
  keepSignedIn: Checkbox,
})
export const SecondFactorForm = Type.Object({
  code: Type.String({ minLength: 6, maxLength: 40, errorMessage: 'Enter the 6-digit code from your app, or a recovery code.' }),
})
export const EmailForm = Type.Object({ email: Email })
export const ResetPasswordForm = Type.Object({ token: Type.String({ minLength: 10, maxLength: 200 }), password: NewPassword })
export const ProfileForm = Type.Object({
  name: Name,
  birthDate: BirthDate,
  guardianEmail: GuardianEmail,
  marketing: Checkbox,
  locale: Type.Optional(LocaleSchema({ allowEmpty: true })),
})
export const ChangePasswordForm = Type.Object({
  currentPassword: Type.String({ minLength: 1, maxLength: 256, errorMessage: 'Enter your current password.' }),
  newPassword: NewPassword,
})
export const TotpCodeForm = Type.Object({
  code: Type.String({ pattern: '^\\s*\\d{3}\\s*\\d{3}\\s*$', errorMessage: 'Enter the 6-digit code from your app.' }),
})
export const PasswordConfirmForm = Type.Object({ password: Type.String({ minLength: 1, maxLength: 256, errorMessage: 'Enter your password.' }) })
export const ApiKeyForm = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100, errorMessage: 'Give the key a name (up to 100 characters) so you can recognise it.' }),
  orgId: Type.String({ minLength: 1, errorMessage: 'Choose the organisation this key may act in.' }),
  scope: Type.Union([Type.Literal('read'), Type.Literal('write')], { errorMessage: 'Choose read or write.' }),
})

export const MeResponse = Type.Object({
  id: Type.String({ examples: ['acct_01jc5d8y4k9q2t8v1n3m6p7r2s'] }),
  email: Type.String(),
  name: Type.String(),
  isPlatformAdmin: Type.Boolean(),
  apiKey: Type.Union([Type.Null(), Type.Object({ id: Type.String(), orgId: Type.String(), scope: Type.String() })]),
})
