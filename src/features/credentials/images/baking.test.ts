import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { deflateSync } from 'node:zlib'
import { PNG } from 'pngjs'
import { newOrg, uniqueEmail } from '../../../../test/support/factories.ts'
import { startTestApp, type TestApp, textOf } from '../../../../test/support/harness.ts'
import { uploadToVerify } from '../../../../test/support/verify-upload.ts'
import { InvalidError } from '../../../platform/errors.ts'
import type { OrgScope } from '../../orgs/service.ts'
import { createAchievement } from '../achievements.ts'
import { issueCredential } from '../issuance/issuance.ts'
import { openBadgeJwt, p256JwtIssuer } from '../signing/test-fixtures.ts'
import { bakePng, bakeSvg, credentialFromFile, unbakePng, unbakeSvg } from './baking.ts'
import { checkImage } from './images.ts'

/** A real, decodable PNG: a gold disc on transparent pixels. */
function badgePng(size = 96): Buffer {
  const png = new PNG({ width: size, height: size })
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const offset = (y * size + x) * 4
      const isInside = (x - size / 2) ** 2 + (y - size / 2) ** 2 < (size / 2.2) ** 2
      png.data.set(isInside ? [212, 175, 55, 255] : [0, 0, 0, 0], offset)
    }
  }
  return PNG.sync.write(png)
}

const BADGE_SVG = `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128" viewBox="0 0 128 128"><title>Gold</title><circle cx="64" cy="64" r="60" fill="gold"/></svg>`

/** The text of every iTXt chunk with the given keyword, read independently of the code under test. */
function itxtTexts(png: Buffer, keyword: string): string[] {
  const texts: string[] = []
  for (let offset = 8; offset < png.length; ) {
    const length = png.readUInt32BE(offset)
    const type = png.toString('latin1', offset + 4, offset + 8)
    const data = png.subarray(offset + 8, offset + 8 + length)
    if (type === 'iTXt' && data.toString('latin1', 0, data.indexOf(0)) === keyword) {
      assert.equal(data[keyword.length + 1], 0, 'the chunk is not compressed')
      texts.push(data.subarray(keyword.length + 5).toString('utf8'))
    }
    offset += length + 12
  }
  return texts
}

describe('baking and unbaking', () => {
  const credential = JSON.stringify({ id: 'urn:uuid:1', name: 'Zoë Ångström-Łukasiewicz 李小龍', note: 'a ]]> b ]]]]> c </openbadges:credential> <x>' })

  it('round-trips a credential through a PNG, which stays a valid PNG', () => {
    const original = badgePng()
    const baked = bakePng(original, credential)
    assert.equal(unbakePng(baked), credential)
    const decoded = PNG.sync.read(baked)
    assert.deepEqual([decoded.width, decoded.height], [96, 96])
    assert.deepEqual(decoded.data, PNG.sync.read(original).data, 'the pixels are unchanged')
    assert.deepEqual(itxtTexts(baked, 'openbadgecredential'), [credential])
    assert.equal(unbakePng(original), undefined)
  })

  it('replaces the credential when re-baking a PNG', () => {
    const twice = bakePng(bakePng(badgePng(), '{"first":true}'), '{"second":true}')
    assert.deepEqual(itxtTexts(twice, 'openbadgecredential'), ['{"second":true}'])
    assert.equal(unbakePng(twice), '{"second":true}')
  })

  it('reads a compressed chunk written by another baker', () => {
    const original = badgePng()
    const data = Buffer.concat([Buffer.from('openbadgecredential\0\x01\0\0\0', 'latin1'), deflateSync(Buffer.from(credential))])
    const chunk = Buffer.alloc(data.length + 12)
    chunk.writeUInt32BE(data.length)
    chunk.write('iTXt', 4, 'latin1')
    data.copy(chunk, 8)
    chunk.writeUInt32BE(crc32Reference(chunk.subarray(4, chunk.length - 4)), chunk.length - 4)
    const withChunk = Buffer.concat([original.subarray(0, 33), chunk, original.subarray(33)])
    PNG.sync.read(withChunk)
    assert.equal(unbakePng(withChunk), credential)
  })

  it('refuses damaged PNGs with what is wrong', () => {
    const baked = bakePng(badgePng(), credential)
    const flipped = Buffer.from(baked)
    flipped[60] = (flipped[60] ?? 0) ^ 1
    assert.throws(() => unbakePng(flipped), /This PNG file is damaged: its iTXt chunk fails its checksum/)
    assert.throws(() => unbakePng(baked.subarray(0, baked.length - 20)), /This PNG file is damaged/)
    assert.throws(() => bakePng(Buffer.from('not a png'), credential), /does not start with the PNG signature/)
  })

  it('round-trips through an SVG, keeping "]]>" inside CDATA and the namespace on the root', () => {
    const baked = bakeSvg(BADGE_SVG, credential)
    assert.equal(unbakeSvg(baked), credential)
    assert.match(
      baked,
      /^<\?xml[^>]*>\n<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]* xmlns:openbadges="https:\/\/purl\.imsglobal\.org\/ob\/v3p0"><openbadges:credential><!\[CDATA\[/,
    )
    assert.equal(baked.match(/<openbadges:credential>/g)?.length, 1)
    // Every CDATA section closes only where we closed it: its contents never contain "]]>".
    const body = /<openbadges:credential>([\s\S]*)<\/openbadges:credential><title>/.exec(baked)?.[1] ?? ''
    assert.match(body, /^(<!\[CDATA\[((?!\]\]>)[\s\S])*\]\]>)+$/)
    assert.match(baked, /<circle cx="64" cy="64" r="60" fill="gold"\/><\/svg>$/)
  })

  it('replaces the credential when re-baking an SVG, and bakes an empty <svg/>', () => {
    const twice = bakeSvg(bakeSvg(BADGE_SVG, '{"first":true}'), '{"second":true}')
    assert.equal(twice.match(/<openbadges:credential>/g)?.length, 1)
    assert.equal(twice.match(/xmlns:openbadges=/g)?.length, 1)
    assert.equal(unbakeSvg(twice), '{"second":true}')
    const empty = bakeSvg('<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"/>', '{"a":1}')
    assert.equal(
      empty,
      `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"><openbadges:credential><![CDATA[{"a":1}]]></openbadges:credential></svg>`,
    )
  })

  it("reads other bakers' SVG forms: pretty-printed CDATA, escaped text, a VC-JWT in `verify`", () => {
    const pretty = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0">
      <openbadges:credential>
        <![CDATA[ {"a": "]]]]><![CDATA[>"} ]]>
      </openbadges:credential></svg>`
    assert.deepEqual(JSON.parse(unbakeSvg(pretty) ?? ''), { a: ']]>' })
    assert.equal(unbakeSvg('<svg><openbadges:credential>{&quot;a&quot;:&#34;&lt;&#x3e;&quot;}</openbadges:credential></svg>'), '{"a":"<>"}')
    assert.equal(unbakeSvg('<svg><openbadges:credential verify="aGVhZGVy.cGF5bG9hZA.c2ln"></openbadges:credential></svg>'), 'aGVhZGVy.cGF5bG9hZA.c2ln')
    assert.equal(unbakeSvg(BADGE_SVG), undefined)
    assert.throws(() => unbakeSvg('<svg><openbadges:credential><![CDATA[{"a":1}</svg>'), /CDATA section .* is not closed/)
  })

  it('tells a verifier what is wrong with an uploaded file', () => {
    const failure = (data: Buffer) => {
      try {
        credentialFromFile(data)
      } catch (error) {
        assert.ok(error instanceof InvalidError)
        return error.message
      }
      assert.fail('expected an error')
    }
    assert.match(failure(badgePng()), /This PNG image has no Open Badges credential baked into it/)
    assert.match(failure(Buffer.from(BADGE_SVG)), /This SVG image has no Open Badges credential/)
    assert.match(failure(bakePng(badgePng(), 'not json')), /not valid JSON/)
    const jwt = 'eyJhbGciOiJFZERTQSJ9.eyJ2YyI6e319.c2ln'
    assert.deepEqual(credentialFromFile(Buffer.from(bakeSvg(BADGE_SVG, jwt))), { document: jwt, source: 'svg' }, 'a VC-JWT is handed on as the token')
    assert.match(failure(Buffer.from('hello')), /The file is not JSON/)
    assert.deepEqual(credentialFromFile(Buffer.from(bakeSvg(BADGE_SVG, credential))), { document: JSON.parse(credential), source: 'svg' })
    assert.deepEqual(credentialFromFile(Buffer.from(`\uFEFF${credential}`)), { document: JSON.parse(credential), source: 'json' })
  })
})

/** CRC-32 as the PNG specification's sample code computes it, to build a chunk without the code under test. */
function crc32Reference(bytes: Buffer): number {
  let crc = 0xffffffff
  for (const byte of bytes) {
    crc ^= byte
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1
  }
  return (crc ^ 0xffffffff) >>> 0
}

describe('baked badges over HTTP', () => {
  let testApp: TestApp
  let scope: OrgScope
  let pngAchievementId: string
  let svgAchievementId: string
  let plainAchievementId: string
  let ownerLogin: { email: string; password: string }

  before(async () => {
    testApp = await startTestApp()
    const { org, owner } = await newOrg(testApp, 'Baking Board')
    scope = { orgId: org.id, accountId: owner.account.id, role: 'owner' }
    ownerLogin = owner
    const achievement = (name: string, image?: Buffer) =>
      createAchievement(testApp.platform, scope, {
        name,
        description: 'Bakes well.',
        criteria: 'Bake.',
        tags: [],
        alignments: [],
        validityMonths: null,
        image: image ? checkImage(image) : undefined,
      })
    pngAchievementId = (await achievement('Master Bäker', badgePng(128))).id
    svgAchievementId = (await achievement('Vector Baker', Buffer.from(BADGE_SVG))).id
    plainAchievementId = (await achievement('No Image Baker')).id
  })
  after(() => testApp.close())

  const issue = async (achievementId: string, recipientName = 'Baked Holder') =>
    (await issueCredential(testApp.platform, scope, { achievementId, recipientEmail: uniqueEmail(), recipientName })).credential

  it('downloads a baked PNG from the public page that verifies on /verify', async () => {
    const credential = await issue(pngAchievementId)
    const client = testApp.client()
    const page = await client.get(`/credentials/${credential.id}`)
    const link = /href="([^"]+)"[^>]*>\s*Download baked badge \(PNG\)/.exec(page.body)?.[1]
    assert.equal(link, `/credentials/${credential.id}/badge.png`)
    const download = await client.get(link)
    assert.equal(download.statusCode, 200)
    assert.equal(download.headers['content-type'], 'image/png')
    assert.equal(download.headers['content-disposition'], `attachment; filename="master-baker-${credential.id}.png"`)
    const baked = download.rawPayload
    assert.equal(PNG.sync.read(baked).width, 128)
    const texts = itxtTexts(baked, 'openbadgecredential')
    assert.equal(texts.length, 1)
    assert.deepEqual(JSON.parse(texts[0] ?? ''), credential.document)

    const verified = await uploadToVerify(client, 'badge.png', 'image/png', baked)
    assert.equal(verified.statusCode, 200)
    assert.match(verified.body, /data-verdict="valid"/)
    for (const check of ['signature', 'issuer', 'status', 'validity', 'schema']) assert.match(verified.body, new RegExp(`data-check="${check}" data-ok="true"`))
    assert.match(textOf(verified.body), /Read from the credential baked into the PNG badge image/)
  })

  it('downloads a baked SVG that verifies on /verify, and redirects the other extension to it', async () => {
    const credential = await issue(svgAchievementId)
    const client = testApp.client()
    assert.match((await client.get(`/credentials/${credential.id}`)).body, new RegExp(`href="/credentials/${credential.id}/badge\\.svg"`))
    const wrongExtension = await client.get(`/credentials/${credential.id}/badge.png`)
    assert.equal(wrongExtension.statusCode, 302)
    assert.equal(wrongExtension.headers.location, `/credentials/${credential.id}/badge.svg`)
    const download = await client.get(`/credentials/${credential.id}/badge.svg`)
    assert.equal(download.statusCode, 200)
    assert.match(String(download.headers['content-type']), /^image\/svg\+xml/)
    assert.match(String(download.headers['content-disposition']), /^attachment; filename="vector-baker-cred_[0-9a-z]+\.svg"$/)
    assert.match(download.body, /<openbadges:credential><!\[CDATA\[\{/)
    const verified = await uploadToVerify(client, 'badge.svg', 'image/svg+xml', download.rawPayload)
    assert.equal(verified.statusCode, 200)
    assert.match(verified.body, /data-verdict="valid"/)
    assert.match(textOf(verified.body), /baked into the SVG badge image/)
  })

  it('rejects a baked PNG whose credential was changed', async () => {
    const credential = await issue(pngAchievementId, 'Honest Baker')
    const client = testApp.client()
    const baked = (await client.get(`/credentials/${credential.id}/badge.png`)).rawPayload
    const tampered = bakePng(baked, (unbakePng(baked) ?? '').replace('Honest Baker', 'Honest Bakes'))
    assert.deepEqual(itxtTexts(tampered, 'openbadgecredential').length, 1)
    const verified = await uploadToVerify(client, 'badge.png', 'image/png', tampered)
    assert.equal(verified.statusCode, 200)
    assert.match(verified.body, /data-verdict="invalid_signature"/)
    assert.match(verified.body, /data-check="signature" data-ok="false"/)
  })

  it('explains an image without a credential, a damaged PNG and an oversized upload', async () => {
    const client = testApp.client()
    const plain = await uploadToVerify(client, 'plain.png', 'image/png', badgePng())
    assert.equal(plain.statusCode, 422)
    assert.match(textOf(plain.body), /This PNG image has no Open Badges credential baked into it/)
    assert.doesNotMatch(plain.body, /data-verdict=/)
    const damaged = await uploadToVerify(client, 'damaged.png', 'image/png', badgePng().subarray(0, 50))
    assert.equal(damaged.statusCode, 422)
    assert.match(textOf(damaged.body), /This PNG file is damaged/)
    const huge = await uploadToVerify(client, 'huge.png', 'image/png', Buffer.concat([badgePng(), Buffer.alloc(2 * 1024 * 1024)]))
    assert.equal(huge.statusCode, 413)
    assert.match(textOf(huge.body), /larger than 2 MB/)
  })

  it('answers 404 saying why when the achievement has no image', async () => {
    const credential = await issue(plainAchievementId)
    const client = testApp.client()
    assert.doesNotMatch((await client.get(`/credentials/${credential.id}`)).body, /baked badge/i)
    const response = await client.get(`/credentials/${credential.id}/badge.png`)
    assert.equal(response.statusCode, 404)
    assert.match(textOf(response.body), /has no badge image to download: its achievement has no image/)
    assert.equal((await client.get('/credentials/cred_00000000000000000000000000/badge.png')).statusCode, 404)
  })

  it('names the achievement, with its badge image and a link, and links the baked badge from the staff credential page', async () => {
    const credential = await issue(svgAchievementId)
    const client = testApp.client()
    await client.signIn(ownerLogin.email, ownerLogin.password)
    const page = await client.get(`/orgs/${scope.orgId}/credentials/${credential.id}`)
    assert.match(page.body, new RegExp(`<a href="/credentials/${credential.id}/badge\\.svg">Baked badge \\(SVG\\)</a>`))
    const achievementLink = (html: string, achievementId: string) =>
      new RegExp(`<a href="/orgs/${scope.orgId}/achievements/${achievementId}">([\\s\\S]*?)</a>`).exec(html)?.[1] ?? ''
    assert.match(achievementLink(page.body, svgAchievementId), new RegExp(`<img src="/achievements/${svgAchievementId}/image" alt="" [^>]*>`))
    assert.equal(textOf(achievementLink(page.body, svgAchievementId)), 'Vector Baker')
    const imageless = await client.get(`/orgs/${scope.orgId}/credentials/${(await issue(plainAchievementId)).id}`)
    assert.equal(textOf(achievementLink(imageless.body, plainAchievementId)), 'No Image Baker')
  })

  it('verifies a baked badge sent in base64 to POST /api/v1/verify', async () => {
    const credential = await issue(pngAchievementId)
    const baked = (await testApp.app.inject({ url: `/credentials/${credential.id}/badge.png` })).rawPayload
    const valid = await testApp.app.inject({ method: 'POST', url: '/api/v1/verify', payload: { file: baked.toString('base64') } })
    assert.equal(valid.statusCode, 200, valid.body)
    assert.equal(valid.json().verdict, 'valid')
    const plain = await testApp.app.inject({ method: 'POST', url: '/api/v1/verify', payload: { file: badgePng().toString('base64') } })
    assert.equal(plain.statusCode, 422)
    assert.equal(plain.json().code, 'no_baked_credential')
  })

  it('verifies a VC-JWT from another issuer, as a file and baked into PNG and SVG', async () => {
    const token = await openBadgeJwt(await p256JwtIssuer())
    const files = [Buffer.from(token), bakePng(badgePng(), token), Buffer.from(bakeSvg(BADGE_SVG, token))]
    for (const file of files) {
      const response = await testApp.app.inject({ method: 'POST', url: '/api/v1/verify', payload: { file: file.toString('base64') } })
      assert.equal(response.statusCode, 200, response.body)
      assert.equal(response.json().verdict, 'valid', response.body)
    }
  })
})
