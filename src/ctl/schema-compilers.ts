/**
 * Fastify's schema compilers, loaded when a route with a schema first needs one. No ctl route
 * has a schema (bodies are checked by zod), so Fastify's defaults (ajv and fast-json-stringify,
 * about 1.6 MiB of the idle agent's RSS, docs/limits.md) would be loaded at boot for nothing.
 */
import type { FastifyServerOptions } from 'fastify'
import { createRequire } from 'node:module'

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>
type Validator = NonNullable<CompilersFactory['buildValidator']>
type Serializer = NonNullable<CompilersFactory['buildSerializer']>

// resolved from Fastify's own folder, as Fastify resolves its defaults
const fromFastify = createRequire(import.meta.resolve('fastify'))

/** A factory that loads the package `name` (which exports a function returning the factory) when first called. */
function onFirstUse<F> (name: string): F {
  let factory: ((...args: unknown[]) => unknown) | undefined
  const forward = (...args: unknown[]): unknown => (factory ??= (fromFastify(name) as () => (...args: unknown[]) => unknown)())(...args)
  return forward as F
}

/** Fastify's default compilers behind a first-use load; the `schemaController.compilersFactory` option. */
export const lazySchemaCompilers: CompilersFactory = {
  buildValidator: onFirstUse<Validator>('@fastify/ajv-compiler'),
  buildSerializer: onFirstUse<Serializer>('@fastify/fast-json-stringify-compiler')
}
