import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, html, Visitor, type TestApp } from './app.js'

let t: TestApp
beforeAll(async () => {
  t = await createTestApp({ env: { API_RATE_LIMIT: '3' } })
})
afterAll(() => t.close())

describe('rate limits', () => {
  it('answers a fourth API call in the same minute with a Vietnamese 429', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 4; i++) statuses.push((await t.app.inject({ url: '/api/v1/units' })).statusCode)
    expect(statuses).toEqual([200, 200, 200, 429])
    const limited = await t.app.inject({ url: '/api/v1/units' })
    expect(limited.json().error).toMatchObject({ code: 'too_many_requests' })
    expect(limited.json().error.message).toMatch(/quá nhiều yêu cầu/)
  })

  it('slows down password guessing from one address across accounts', async () => {
    const visitor = new Visitor(t.app)
    await visitor.get('/login')
    let last = 0
    for (let i = 0; i < 21; i++) {
      last = (await visitor.post('/login', { login: `khong-co-${i}`, password: 'sai-mat-khau-1' })).statusCode
    }
    expect(last).toBe(429)
  })
})

describe('unexpected failures', () => {
  it('shows a Vietnamese 500 page without internals when the database is gone, and JSON for the API', async () => {
    const broken = await createTestApp()
    await broken.database.close()
    try {
      const page = await broken.app.inject({ url: '/', headers: { cookie: 'cb_session=x' } })
      expect(page.statusCode).toBe(500)
      expect(html(page).querySelector('h1')?.text).toBe('Hệ thống gặp sự cố')
      expect(page.body).not.toMatch(/stack|Error:|at \//)
      const api = await broken.app.inject({ url: '/api/v1/units' })
      expect(api.statusCode).toBe(500)
      expect(api.json()).toEqual({
        error: { code: 'internal_error', message: 'Hệ thống gặp sự cố ngoài ý muốn. Vui lòng thử lại sau.' },
      })
      expect((await broken.app.inject({ url: '/readyz' })).statusCode).toBe(503)
    } finally {
      await broken.app.close()
    }
  })
})
