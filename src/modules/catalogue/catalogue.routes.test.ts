import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, html, type TestApp } from '../../../test/app.js'

let t: TestApp
beforeAll(async () => {
  t = await createTestApp()
})
afterAll(() => t.close())

const names = (body: string) =>
  html({ body } as never)
    .querySelectorAll('ol.results h2 a')
    .map((a) => a.text.trim())

describe('public procedure catalogue', () => {
  it('finds "Cấp giấy phép xây dựng" when typed without diacritics', async () => {
    const response = await t.app.inject({ url: '/procedures?q=giay+phep+xay+dung' })
    expect(response.statusCode).toBe(200)
    const found = names(response.body)
    expect(found.length).toBeGreaterThan(0)
    expect(found.every((n) => /giấy phép xây dựng/i.test(n))).toBe(true)
  })

  it('matches the start of a word and codes', async () => {
    const response = await t.app.inject({ url: '/procedures?q=khai+si' })
    expect(names(response.body)).toContain('Đăng ký khai sinh')
  })

  it('filters by field, by performing unit and by online level', async () => {
    const all = (await t.app.inject({ url: '/api/v1/procedures?limit=100' })).json().items as {
      field: string
      onlineLevel: string
      unitTypes: string[]
    }[]
    expect(all.length).toBeGreaterThanOrEqual(20)
    const field = all[0]!.field
    const byField = (
      await t.app.inject({ url: `/api/v1/procedures?limit=100&field=${encodeURIComponent(field)}` })
    ).json().items
    expect(byField.length).toBe(all.filter((p) => p.field === field).length)
    const full = (await t.app.inject({ url: '/api/v1/procedures?limit=100&level=full' })).json().items
    expect(full.length).toBe(all.filter((p) => p.onlineLevel === 'full').length)

    const units = (await t.app.inject({ url: '/api/v1/units?activeOn=2026-01-01' })).json().items as {
      id: string
      key: string
      type: string
    }[]
    const ward = units.find((u) => u.key === 'phuong-thuc-phan')!
    const atWard = (await t.app.inject({ url: `/api/v1/procedures?limit=100&unit=${ward.id}` })).json()
      .items as {
      unitTypes: string[]
    }[]
    expect(atWard.length).toBeGreaterThan(0)
    expect(atWard.every((p) => p.unitTypes.includes('ward_committee'))).toBe(true)
  })

  it('shows a procedure page with its documents, time, fees and legal basis, under 50 KB', async () => {
    const page = await t.app.inject({ url: '/procedures/1.001193' })
    expect(page.statusCode).toBe(200)
    const doc = html(page)
    expect(doc.querySelector('h1')?.text).toBe('Đăng ký khai sinh')
    const headings = doc.querySelectorAll('h2').map((h) => h.text)
    expect(headings).toEqual(
      expect.arrayContaining(['Thành phần hồ sơ', 'Căn cứ pháp lý', 'Nộp hồ sơ trực tuyến']),
    )
    expect(doc.querySelector('main')!.text).toContain('Thời hạn giải quyết')
    expect(page.body.length).toBeLessThan(50 * 1024)
  })

  it('answers an unknown or malformed code with a Vietnamese 404 page, and 400/404 in the API', async () => {
    expect((await t.app.inject({ url: '/procedures/9.999999' })).statusCode).toBe(404)
    expect((await t.app.inject({ url: '/procedures/abc' })).statusCode).toBe(404)
    expect((await t.app.inject({ url: '/api/v1/procedures/abc' })).statusCode).toBe(400)
    const missing = await t.app.inject({ url: '/api/v1/procedures/9.999999' })
    expect(missing.statusCode).toBe(404)
    expect(missing.json().error.message).toBe('Không tìm thấy thủ tục hành chính với mã này.')
  })

  it('pages through results with a cursor, never repeating one', async () => {
    const first = (await t.app.inject({ url: '/api/v1/procedures?limit=5' })).json()
    const second = (await t.app.inject({ url: `/api/v1/procedures?limit=5&after=${first.next}` })).json()
    const codes = [...first.items, ...second.items].map((p: { code: string }) => p.code)
    expect(new Set(codes).size).toBe(10)
  })

  it('keeps the list page light', async () => {
    const page = await t.app.inject({ url: '/procedures' })
    expect(page.body.length).toBeLessThan(50 * 1024)
  })
})
