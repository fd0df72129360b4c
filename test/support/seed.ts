import { createAchievement, issueCredential, previewBulkIssuance } from '../../src/features/credentials/service.ts'
import { portalRuns } from '../../src/features/exams/schema.ts'
import {
  createExamSession,
  previewExamSessionImport,
  previewRegistrationImport,
  registerCandidate,
  saveCentre,
  saveExam,
  saveProctor,
  saveRoom,
  setSelfRegistration,
} from '../../src/features/exams/service.ts'
import { createApiKey } from '../../src/features/identity/api-keys.ts'
import { addMember, inviteMember } from '../../src/features/orgs/service.ts'
import { recordIncident } from '../../src/features/privacy-center/breach/service.ts'
import { requestDataExport } from '../../src/features/privacy-center/export/service.ts'
import { recordPolicyVersion } from '../../src/features/privacy-center/policy/versions.ts'
import { submitOwnRequest } from '../../src/features/privacy-center/requests/service.ts'
import { newOrg, newPerson, uniqueEmail, utcHourInDays } from './factories.ts'
import type { TestApp } from './harness.ts'

/** An org with one of every thing an org-scoped route takes an ID of, by parameter name; its owner has an API key too. */
export async function seedOrgWithOneOfEverything(testApp: TestApp, label: string) {
  const { platform } = testApp
  const { org, owner } = await newOrg(testApp, `Org ${label}`)
  const scope = { orgId: org.id, accountId: owner.account.id, role: 'owner' as const }
  const someone = await newPerson(testApp)
  const member = await addMember(platform, scope, { accountId: someone.account.id, role: 'staff' })
  const invitation = await inviteMember(platform, scope, { email: uniqueEmail(), role: 'member' })
  const achievement = await createAchievement(platform, scope, {
    name: `${label} only`,
    description: 'd',
    criteria: 'c',
    tags: [],
    alignments: [],
    validityMonths: null,
  })
  const { credential } = await issueCredential(platform, scope, {
    achievementId: achievement.id,
    recipientEmail: uniqueEmail(),
    recipientName: `${label} holder`,
  })
  const bulk = await previewBulkIssuance(platform, scope, {
    fileName: 'b.csv',
    content: Buffer.from(`email,name,achievement\n${uniqueEmail()},X,${label} only`),
  })
  const exam = await saveExam(platform, scope, {
    code: `${label}-1`,
    title: `${label} exam`,
    durationMinutes: 60,
    passMark: 1,
    maxScore: 2,
    achievementId: null,
  })
  const centre = await saveCentre(platform, scope, { code: `${label}-C`, name: `${label} centre`, timeZone: 'UTC' })
  const room = await saveRoom(platform, scope, centre.id, { name: `${label} room`, capacity: 5 })
  const proctor = await saveProctor(platform, scope, { name: `${label} proctor`, email: uniqueEmail(), memberId: null })
  const examSession = await createExamSession(platform, scope, {
    examId: exam.id,
    roomId: room.id,
    proctorId: proctor.id,
    startsAt: utcHourInDays(7, 9),
    endsAt: utcHourInDays(7, 10),
    seats: 5,
  })
  const sessionImport = await previewExamSessionImport(platform, scope, {
    fileName: 'b.csv',
    content: Buffer.from(`exam,centre,room,start
${label}-1,${label}-C,${label} room,${utcHourInDays(8, 9).toISOString().slice(0, 16)}`),
  })
  const registration = await registerCandidate(platform, scope, examSession.id, { name: `${label} candidate`, email: uniqueEmail() })
  await setSelfRegistration(platform, scope, examSession.id, { open: true, closesAt: null })
  const registrationImport = await previewRegistrationImport(platform, scope, {
    fileName: 'b.csv',
    content: Buffer.from(`session,name,email\n${examSession.id},${label} other,${uniqueEmail()}`),
  })
  // A portal run needs a portal login to start; the row alone is enough to be found (or not).
  const [portalRun] = await platform.db
    .insert(portalRuns)
    .values({ orgId: org.id, action: 'create', total: 1, createdByAccountId: owner.account.id })
    .returning()
  const privacyRequest = await submitOwnRequest(
    platform,
    { accountId: owner.account.id, email: owner.email, name: 'Owner' },
    { orgId: org.id, type: 'access', details: null },
  )
  const incident = await recordIncident(platform, scope, {
    title: `${label} incident`,
    occurredAt: utcHourInDays(-2, 9),
    discoveredAt: utcHourInDays(-1, 9),
    whatHappened: 'A laptop was lost.',
    dataCategories: ['credentials.credentials'],
    measuresTaken: 'Disk encryption confirmed.',
    whatPeopleCanDo: 'Nothing needed.',
    contactInfo: 'privacy@example.org',
    protectionMeasures: 'The disk was encrypted.',
    advice: 'Watch for phishing.',
    cureSteps: 'Remote wipe.',
    cureTimeframe: 'One week',
  })
  const dataExport = await requestDataExport(platform, { accountId: owner.account.id, email: owner.email })
  const policyVersion = await recordPolicyVersion(platform, org)
  const ids: Record<string, string> = {
    requestId: privacyRequest.id,
    incidentId: incident.id,
    exportId: dataExport.id,
    policyOrgId: org.id,
    versionId: policyVersion?.id ?? '',
    portalRunId: portalRun?.id ?? '',
    registrationId: registration.id,
    registrationImportId: registrationImport.id,
    examId: exam.id,
    centreId: centre.id,
    roomId: room.id,
    proctorId: proctor.id,
    examSessionId: examSession.id,
    examSessionImportId: sessionImport.id,
    orgId: org.id,
    memberId: member.id,
    invitationId: invitation.id,
    achievementId: achievement.id,
    credentialId: credential.id,
    bulkIssuanceId: bulk.id,
  }
  const apiKey = (await createApiKey(platform, { accountId: owner.account.id, orgId: org.id, name: 'cross-org test', scope: 'write' })).secret
  testApp.secrets.add(apiKey)
  return { owner, ids, apiKey }
}
