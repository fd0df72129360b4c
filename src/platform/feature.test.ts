import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import Fastify from 'fastify'
import { Type } from 'typebox'
import type { Feature } from './feature.ts'

// Registered the way a feature's routes are (Feature.routes): the handler's request is typed by the
// route's schemas. `npm run typecheck` checks this file: the typed reads fail if the type provider is
// lost (params would be unknown), the @ts-expect-error lines fail if the types stop following the schemas.
const routes: NonNullable<Feature['routes']> = async (app) => {
  app.post(
    '/things/:thingId',
    {
      schema: {
        params: Type.Object({ thingId: Type.String() }),
        querystring: Type.Object({ page: Type.Optional(Type.Integer()) }),
        body: Type.Object({ name: Type.String() }),
      },
    },
    async (request) => {
      const thingId: string = request.params.thingId
      const page: number | undefined = request.query.page
      const name: string = request.body.name
      // @ts-expect-error: the params schema has no `id`
      assert.equal(request.params.id, undefined)
      // @ts-expect-error: `name` is a string in the body schema
      const _wrongType: number = request.body.name
      return { thingId, page, name }
    },
  )
}

describe('routes typed by their schemas', () => {
  it('hand the handler the validated, converted values its types promise', async () => {
    const app = Fastify()
    await app.register(routes)
    const response = await app.inject({ method: 'POST', url: '/things/thing_1?page=2', payload: { name: 'A' } })
    assert.deepEqual(response.json(), { thingId: 'thing_1', page: 2, name: 'A' })
    assert.equal((await app.inject({ method: 'POST', url: '/things/thing_1', payload: {} })).statusCode, 400)
    await app.close()
  })
})
