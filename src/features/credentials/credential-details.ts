import type { EvidenceInput, ResultInput } from './issuance/issuance.ts'

type Json = Record<string, unknown>

const objectAt = (value: unknown): Json => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {})
const listAt = (value: unknown): Json[] => (Array.isArray(value) ? value.map(objectAt) : [])
const textAt = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined)

/** The result and evidence a signed credential carries, read back from its document. */
export function credentialDetails(document: Json): { result?: ResultInput; evidence: EvidenceInput[] } {
  const subject = objectAt(document.credentialSubject)
  const [result] = listAt(subject.result)
  const [description] = listAt(objectAt(subject.achievement).resultDescription)
  const score = Number(textAt(result?.value))
  const passMark = Number(textAt(description?.requiredValue))
  const maxScore = textAt(description?.valueMax)
  const takenOn = textAt(subject.activityEndDate)
  return {
    ...(Number.isFinite(score) && Number.isFinite(passMark)
      ? {
          result: {
            score,
            passMark,
            ...(maxScore === undefined ? {} : { maxScore: Number(maxScore) }),
            ...(takenOn ? { takenOn: new Date(takenOn) } : {}),
          },
        }
      : {}),
    evidence: listAt(document.evidence).map((item) => ({ url: textAt(item.id), name: textAt(item.name), narrative: textAt(item.narrative) })),
  }
}
