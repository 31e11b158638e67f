import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildCtlApp, routesOf } from '../../../src/ctl/app.js'
import type { CtlController, HaController } from '../../../src/ctl/controller.js'
import type { ManagementController } from '../../../src/ctl/services-routes.js'
import { serverBodySchema } from '../../../src/properties/service-json.js'

const NOT_USED = async (): Promise<never> => { throw new Error('not used') }
const controller: CtlController = { setEnabled: NOT_USED, setDraining: NOT_USED, status: NOT_USED, outputs: NOT_USED, services: NOT_USED, counters: NOT_USED }
const management: ManagementController = { service: NOT_USED, putService: NOT_USED, deleteService: NOT_USED, putServer: NOT_USED, deleteServer: NOT_USED }
const ha: HaController = { role: () => 'active', disabled: () => [], draining: () => [], settings: () => ({}), replaceDisabled: NOT_USED }

// `/api/services/:name` as OpenAPI writes it
const openApiPath = (url: string): string => url.replace(/:([a-z]+)/g, '{$1}')

for (const pair of [false, true]) {
  test(`the OpenAPI document describes every route the app answers, and no other (${pair ? 'in a pair' : 'a single node'})`, async () => {
    const app = buildCtlApp({ controller, token: 'secret', management, ...(pair ? { ha } : {}) })
    await app.ready()
    const reply = await app.inject({ method: 'GET', url: '/api/openapi.json', headers: { authorization: 'Bearer secret' } })
    assert.equal(reply.statusCode, 200)
    const document = reply.json<{ openapi: string, paths: Record<string, Record<string, unknown>> }>()
    assert.equal(document.openapi, '3.1.0')
    const served = routesOf(app).map((route) => `${route.method} ${openApiPath(route.url)}`).sort()
    const described = Object.entries(document.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`)).sort()
    assert.ok(served.length >= (pair ? 17 : 14), served.join('\n'))
    assert.deepEqual(described, served)
  })
}

test('a server\'s body in the document is the schema that checks it', async () => {
  const app = buildCtlApp({ controller, token: '', management })
  const document = (await app.inject({ method: 'GET', url: '/api/openapi.json' })).json<{ paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties: Record<string, unknown>, required: string[], additionalProperties: boolean } }> } }>> }>()
  const schema = document.paths['/api/services/{name}/servers/{server}']?.put?.requestBody?.content['application/json']?.schema
  assert.deepEqual(Object.keys(schema?.properties ?? {}), Object.keys(serverBodySchema.shape))
  assert.deepEqual(schema?.required, ['address'])
  assert.equal(schema?.additionalProperties, false)
  // the document itself is read with GET only
  const post = await app.inject({ method: 'POST', url: '/api/openapi.json' })
  assert.equal(post.statusCode, 405)
  assert.equal(post.headers.allow, 'GET')
})
