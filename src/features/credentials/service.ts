// The credentials feature's public surface: other features (exam sessions, learning, CE) issue and
// query credentials only through these functions.
export {
  type Achievement,
  type AchievementInput,
  achievementNamesOf,
  createAchievement,
  getAchievement,
  listAchievements,
  setAchievementArchived,
  updateAchievement,
} from './achievements.ts'
export {
  type CredentialEventInput,
  type CredentialEventKind,
  flushCredentialEvents,
  recordCredentialAccess,
  recordCredentialEvent,
} from './analytics/analytics.ts'
export { type CredentialsSummary, summarizeCredentials } from './analytics/summary.ts'
export { listCredentialsForEmails, resendDelivery, resendFailedDeliveries } from './delivery/delivery.ts'
export { countHeldCredentials, isCredentialHolder, listHeldCredentials, signedCredentialFile } from './holder.ts'
export { type CheckedImage, checkImage } from './images/images.ts'
export { type BulkPreview, confirmBulkIssuance, getBulkIssuance, previewBulkIssuance } from './issuance/bulk.ts'
export { type CredentialRow, type IssueInput, type IssueOutcome, issueCredential, issueCredentials } from './issuance/issuance.ts'
export { getActiveSigner, rotateIssuerKey } from './issuance/issuer.ts'
export { type Correction, reissueCredential } from './issuance/lineage.ts'
export { type DesignChange, saveCertificateDesign } from './pdf/design.ts'
export { renderCertificatePdf } from './pdf/renderer.ts'
export { verifyById, verifyDocument } from './public/verification.ts'
export { type CredentialStatus, findPublicCredential, getCredential, listCredentials, statusOf } from './queries.ts'
export { reinstateCredential, revokeCredential, suspendCredential } from './status.ts'
export { publicUrls } from './urls.ts'
