import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import Fastify from 'fastify'
import { lazySchemaCompilers } from '../../../src/ctl/schema-compilers.js'

test('the ctl app is ready without loading ajv or Fastify\'s compilers', () => {
  // a fresh process: this one's module cache already holds whatever other tests loaded; (Fastify's
  // error serializer needs fast-json-stringify's small runtime half, not its compiler)
  const app = new URL('../../../src/ctl/app.js', import.meta.url).href
  const script = `
    import { createRequire } from 'node:module'
    const { buildCtlApp } = await import(${JSON.stringify(app)})
    const ctl = buildCtlApp({ controller: {}, token: '' })
    await ctl.ready()
    const loaded = Object.keys(createRequire(import.meta.url).cache)
    console.log(JSON.stringify(loaded.filter((path) => /[\\\\/](ajv|ajv-compiler|fast-json-stringify-compiler)[\\\\/]|fast-json-stringify[\\\\/]index[.]js$/.test(path))))
    await ctl.close()`
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })
  assert.deepEqual(JSON.parse(output), [])
})

test('a route with a schema still gets Fastify\'s validator and serializer, loaded on first use', async () => {
  const app = Fastify({ schemaController: { compilersFactory: lazySchemaCompilers } })
  app.post('/', {
    schema: {
      body: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] },
      response: { 200: { type: 'object', properties: { n: { type: 'integer' } } } }
    }
  }, async (request) => ({ ...(request.body as object), extra: 'not in the schema' }))
  try {
    const refused = await app.inject({ method: 'POST', url: '/', payload: { n: 'x' } })
    assert.equal(refused.statusCode, 400)
    const accepted = await app.inject({ method: 'POST', url: '/', payload: { n: 7 } })
    assert.equal(accepted.statusCode, 200)
    // the serializer writes what the response schema names and nothing else
    assert.equal(accepted.body, '{"n":7}')
  } finally {
    await app.close()
  }
})
