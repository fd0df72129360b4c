import { crc32, deflateSync } from 'node:zlib'
import { type Achievement, checkImage, createAchievement, saveCertificateDesign } from '../features/credentials/service.ts'
import type { OrgScope } from '../features/orgs/service.ts'
import type { Platform } from '../platform/platform.ts'

function badgeSvg(fill: string, ring: string, label: string): Buffer {
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256">
  <title>${label}</title>
  <circle cx="128" cy="128" r="120" fill="${ring}"/>
  <circle cx="128" cy="128" r="100" fill="${fill}"/>
  <path d="M128 58 L146 104 L196 106 L157 136 L170 184 L128 157 L86 184 L99 136 L60 106 L110 104 Z" fill="${ring}"/>
  <text x="128" y="222" font-family="sans-serif" font-size="22" font-weight="bold" text-anchor="middle" fill="${fill}">${label}</text>
</svg>`,
  )
}

/** A round logo as a PNG (the PDF cannot draw SVG): a filled disc in `rgb` on a transparent square. */
function discPng(size: number, rgb: [number, number, number]): Buffer {
  const rows: Buffer[] = []
  const centre = (size - 1) / 2
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 4)
    for (let x = 0; x < size; x++) {
      const isInside = Math.hypot(x - centre, y - centre) <= size / 2 - 1
      row.set(isInside ? [...rgb, 255] : [0, 0, 0, 0], 1 + x * 4)
    }
    rows.push(row)
  }
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data])
    const length = Buffer.alloc(4)
    length.writeUInt32BE(data.length)
    const checksum = Buffer.alloc(4)
    checksum.writeUInt32BE(crc32(body))
    return Buffer.concat([length, body, checksum])
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(size, 0)
  header.writeUInt32BE(size, 4)
  header.set([8, 6, 0, 0, 0], 8) // 8-bit RGBA, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

export interface DemoAchievements {
  /** Earned by passing the exam; valid for a year, so last year's holders are expiring now. */
  practitioner: Achievement
  /** Awarded after a course and an observed practical; valid for three years. */
  instructor: Achievement
}

/** Two achievements with badge images and certificate designs. */
export async function createAchievements(platform: Platform, owner: OrgScope): Promise<DemoAchievements> {
  const practitioner = await createAchievement(platform, owner, {
    name: 'Certified Data Protection Practitioner',
    description: 'Holds the knowledge to run data protection in an organisation: lawful bases, rights requests, breaches and records.',
    criteria: 'Pass the **CDPP** exam (70 of 100 or better) at an authorised testing centre.\n\nRenew every year by passing the exam again.',
    tags: ['privacy', 'GDPR', 'certification'],
    alignments: [
      { targetName: 'EU General Data Protection Regulation', targetUrl: 'https://eur-lex.europa.eu/eli/reg/2016/679/oj', targetFramework: 'EU law' },
    ],
    validityMonths: 12,
    image: checkImage(badgeSvg('#1f3a5f', '#b08d57', 'CDPP')),
  })
  await saveCertificateDesign(platform, owner, practitioner.id, {
    layout: 'classic',
    primaryColor: '#1f3a5f',
    accentColor: '#b08d57',
    paperSize: 'a4',
    signerName: 'Amara Okafor',
    signerTitle: 'Registrar, Northwind Certification Board',
    customFields: [{ label: 'Accreditation', value: 'NCB-ACC-2041' }],
    logo: discPng(128, [31, 58, 95]),
  })
  const instructor = await createAchievement(platform, owner, {
    name: 'Workplace First Aid Instructor',
    description: 'Qualified to teach the three-day workplace first aid course and assess its learners.',
    criteria: 'Complete the instructor course, teach one observed course, and pass the practical assessment.',
    tags: ['first aid', 'instructor'],
    alignments: [],
    validityMonths: 36,
    image: checkImage(badgeSvg('#2e6b3f', '#f2c14e', 'FAI')),
  })
  await saveCertificateDesign(platform, owner, instructor.id, {
    layout: 'modern',
    primaryColor: '#2e6b3f',
    accentColor: '#f2c14e',
    paperSize: 'letter',
    signerName: 'Jonas Lindqvist',
    signerTitle: 'Head of Training',
    customFields: [{ label: 'Course hours', value: '24' }],
    logo: discPng(128, [46, 107, 63]),
  })
  return { practitioner, instructor }
}
