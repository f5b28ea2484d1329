import Fastify from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRawRoutes } from './raw-routes.js'

describe('paths served before Fastify', () => {
  const raw = createRawRoutes()
  const app = Fastify({ serverFactory: raw.serverFactory, keepAliveTimeout: 12_345 })
  let base = ''
  let hooks = 0

  beforeAll(async () => {
    app.addHook('onRequest', async (_request, reply) => {
      hooks++
      reply.header('x-kernel', 'yes')
    })
    app.get('/r1/*', async () => ({ via: 'fastify' }))
    app.get('/healthz', async () => ({ via: 'fastify' }))
    raw.mount('/r1/', (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ via: 'raw', url: req.url }))
    })
    await app.listen({ port: 0, host: '127.0.0.1' })
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
  })
  afterAll(() => app.close())

  it('hands a mounted prefix to its handler without running any Fastify hook', async () => {
    const response = await fetch(`${base}/r1/VN/GOV/x?y=1`)
    expect(await response.json()).toEqual({ via: 'raw', url: '/r1/VN/GOV/x?y=1' })
    expect(response.headers.get('x-kernel')).toBeNull()
    expect(hooks).toBe(0)
  })

  it('leaves every other path, and the prefix without its slash, to Fastify', async () => {
    const health = await fetch(`${base}/healthz`)
    expect(await health.json()).toEqual({ via: 'fastify' })
    expect(health.headers.get('x-kernel')).toBe('yes')
    expect((await fetch(`${base}/r1`)).status).toBe(404)
    expect(hooks).toBe(2)
  })

  it('still serves the prefix through Fastify for app.inject, and builds the server as Fastify would', async () => {
    const injected = await app.inject({ method: 'GET', url: '/r1/a' })
    expect(injected.json()).toEqual({ via: 'fastify' })
    expect(app.server.keepAliveTimeout).toBe(12_345)
  })
})
