import type { FastifyReply } from 'fastify'
import { Type } from 'typebox'
import { InvalidError } from '../../../platform/errors.ts'
import type { TypedApp } from '../../../platform/feature.ts'
import { parseForm } from '../../../platform/http/forms.ts'
import { CsrfField, Field, FormErrorSummary, type FormState } from '../../../platform/ui/components.tsx'
import { type OrgScope, requireRole, scopeOf } from '../../orgs/service.ts'
import type { SubProcessor } from '../schema.ts'
import { CHILD_AGE_BOUNDS, DEADLINE_BOUNDS, getPrivacySettings, type PrivacySettings, savePrivacySettings } from '../settings.ts'
import { OrgParams } from './contract.ts'

const SettingsForm = Type.Object({
  controllerName: Type.Optional(Type.String({ maxLength: 200, errorMessage: 'Keep the controller’s name under 200 characters.' })),
  contactEmail: Type.Optional(Type.String({ format: 'email', maxLength: 254, errorMessage: 'Enter an email address like privacy@example.org.' })),
  requestDeadlineWorkingDays: Type.Integer({
    minimum: DEADLINE_BOUNDS.min,
    maximum: DEADLINE_BOUNDS.max,
    errorMessage: `Choose between ${DEADLINE_BOUNDS.min} and ${DEADLINE_BOUNDS.max} working days.`,
  }),
  childAge: Type.Integer({
    minimum: CHILD_AGE_BOUNDS.min,
    maximum: CHILD_AGE_BOUNDS.max,
    errorMessage: `Choose an age between ${CHILD_AGE_BOUNDS.min} and ${CHILD_AGE_BOUNDS.max}.`,
  }),
  holidays: Type.Optional(Type.String({ maxLength: 10_000 })),
  internationalTransfers: Type.Optional(Type.String({ maxLength: 10_000, errorMessage: 'Keep this under 10,000 characters.' })),
})

const EMPTY_SUB_PROCESSOR_ROWS = 3
const listOf = (value: unknown): string[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]).map((one) => String(one).trim())

/** The sub-processor rows of the form (repeated fields spName, spPurpose, spLocation); empty rows dropped. */
function subProcessorsOf(body: unknown): SubProcessor[] {
  const fields = body as Record<string, unknown>
  const names = listOf(fields.spName)
  const purposes = listOf(fields.spPurpose)
  const locations = listOf(fields.spLocation)
  return names
    .map((name, index) => ({ name, purpose: purposes[index] ?? '', location: locations[index] ?? '' }))
    .filter((row) => row.name || row.purpose || row.location)
}

/** The org's privacy settings (admins): who answers, deadlines, holidays, children, sub-processors, transfers. */
export async function privacySettingsPage(app: TypedApp): Promise<void> {
  const { platform } = app

  const page = (reply: FastifyReply, scope: OrgScope, settings: PrivacySettings, state: FormState = {}) => {
    const values = state.values ?? {}
    const rows = [...settings.subProcessors, ...Array.from({ length: EMPTY_SUB_PROCESSOR_ROWS }, () => ({ name: '', purpose: '', location: '' }))]
    return reply.page(
      'Privacy settings',
      <article>
        <h1>Privacy settings</h1>
        <p>
          What the privacy policy says and how privacy requests are handled. <a href={`/orgs/${scope.orgId}/privacy/requests`}>Privacy requests</a>
        </p>
        <FormErrorSummary state={state} />
        <form method="post" action={`/orgs/${scope.orgId}/privacy/settings`} novalidate>
          <CsrfField token={reply.csrfToken()} />
          <Field
            name="controllerName"
            label="Data controller"
            state={state}
            value={settings.controllerName ?? ''}
            hint="Leave empty to name the organisation."
          />
          <Field
            name="contactEmail"
            label="Privacy contact email"
            type="email"
            state={state}
            value={settings.contactEmail ?? ''}
            hint="Gets the reminders about requests near or past their deadline; without one, the owners do."
          />
          <Field
            name="requestDeadlineWorkingDays"
            label="Working days to answer a request"
            type="number"
            required
            state={state}
            value={String(settings.requestDeadlineWorkingDays)}
          />
          <label for="field-holidays">
            Holidays (one date per line, YYYY-MM-DD, in the organisation’s time zone)
            <textarea id="field-holidays" name="holidays" rows="5" aria-invalid={state.errors?.holidays ? 'true' : undefined} safe>
              {values.holidays ?? settings.holidays.join('\n')}
            </textarea>
            {state.errors?.holidays ? (
              <small class="field-error" safe>
                {state.errors.holidays}
              </small>
            ) : (
              ''
            )}
          </label>
          <Field
            name="childAge"
            label="Age below which a parent or guardian must confirm"
            type="number"
            required
            state={state}
            value={String(settings.childAge)}
          />
          <fieldset>
            <legend>Sub-processors</legend>
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Purpose</th>
                  <th scope="col">Location</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((row, index) => (
                  <tr>
                    <td>
                      <input name="spName" value={row.name} aria-label={`Sub-processor ${index + 1}: name`} />
                    </td>
                    <td>
                      <input name="spPurpose" value={row.purpose} aria-label={`Sub-processor ${index + 1}: purpose`} />
                    </td>
                    <td>
                      <input name="spLocation" value={row.location} aria-label={`Sub-processor ${index + 1}: location`} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </fieldset>
          <label for="field-internationalTransfers">
            International transfers (what goes outside your country, where, and under what safeguard)
            <textarea id="field-internationalTransfers" name="internationalTransfers" rows="4" safe>
              {values.internationalTransfers ?? settings.internationalTransfers}
            </textarea>
          </label>
          <button type="submit">Save</button>
        </form>
      </article>,
      { orgId: scope.orgId },
    )
  }

  app.get('/orgs/:orgId/privacy/settings', { schema: { params: OrgParams } }, async (request, reply) => {
    const scope = scopeOf(request)
    requireRole(scope, 'admin')
    return page(reply, scope, await getPrivacySettings(platform.db, scope.orgId))
  })

  app.post('/orgs/:orgId/privacy/settings', { schema: { params: OrgParams } }, async (request, reply) => {
    const scope = scopeOf(request)
    requireRole(scope, 'admin')
    const current = await getPrivacySettings(platform.db, scope.orgId)
    const subProcessors = subProcessorsOf(request.body)
    const form = parseForm(SettingsForm, request.body)
    if (!form.ok) return page(reply.status(422), scope, { ...current, subProcessors }, form)
    const { value } = form
    try {
      await savePrivacySettings(platform, scope, {
        controllerName: value.controllerName ?? null,
        contactEmail: value.contactEmail?.toLowerCase() ?? null,
        requestDeadlineWorkingDays: value.requestDeadlineWorkingDays,
        holidays: (value.holidays ?? '').split(/\s+/).filter(Boolean),
        childAge: value.childAge,
        subProcessors,
        internationalTransfers: value.internationalTransfers ?? '',
        retentionDays: current.retentionDays,
      })
    } catch (error) {
      if (!(error instanceof InvalidError)) throw error
      return page(reply.status(422), scope, { ...current, subProcessors }, { values: form.values, errors: error.fields })
    }
    reply.flash('success', 'Privacy settings saved.')
    return reply.redirect(`/orgs/${scope.orgId}/privacy/settings`)
  })
}
