import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, errorSummary, html, Visitor, type TestApp } from '../../../test/app.js'
import { samplePdf } from '../../../test/files.js'

let t: TestApp
let wardId = ''
let options: Record<string, string[]> = {}
beforeAll(async () => {
  t = await createTestApp({ clock: () => new Date('2026-11-27T02:00:00Z') })
  const units = (await t.app.inject({ url: '/api/v1/units' })).json().items as { id: string; key: string }[]
  wardId = units.find((u) => u.key === 'phuong-thuc-phan')!.id
  const procedure = (await t.app.inject({ url: '/api/v1/procedures/1.004873' })).json()
  options = Object.fromEntries(
    procedure.form.map((f: { name: string; options: string[] }) => [f.name, f.options]),
  )
})
afterAll(() => t.close())

describe('applying online', () => {
  it('asks an anonymous visitor to sign in first', async () => {
    const response = await new Visitor(t.app).get('/procedures/1.004873/apply')
    expect(response.statusCode).toBe(303)
    expect(response.headers.location).toBe('/login?next=%2Fprocedures%2F1.004873%2Fapply')
  })

  it('takes a citizen through unit, form, documents and check pages, keeping the draft, and files one dossier', async () => {
    const citizen = new Visitor(t.app)
    await citizen.login('congdan')
    const start = await citizen.get('/procedures/1.004873/apply')
    expect(start.headers.location).toBe('/procedures/1.004873/apply/unit')
    await citizen.get('/procedures/1.004873/apply/unit')
    const noUnit = await citizen.post('/procedures/1.004873/apply/unit', { unitId: '' })
    expect(noUnit.statusCode).toBe(422)
    expect(errorSummary(noUnit)).toEqual(['Chọn nơi nộp hồ sơ trong danh sách.'])
    expect((await citizen.post('/procedures/1.004873/apply/unit', { unitId: wardId })).headers.location).toBe(
      '/procedures/1.004873/apply/form',
    )

    await citizen.get('/procedures/1.004873/apply/form')
    const answers = {
      applicantFullName: 'Nguyễn Văn An',
      applicantIdNumber: '0040900',
      applicantBirthDate: '1990-05-01',
      currentMaritalStatus: options.currentMaritalStatus![0]!,
      purpose: options.purpose![0]!,
    }
    const bad = await citizen.post('/procedures/1.004873/apply/form', answers)
    expect(bad.statusCode).toBe(422)
    expect(html(bad).querySelector('#applicantFullName')?.getAttribute('value')).toBe('Nguyễn Văn An')
    expect(errorSummary(bad)[0]).toMatch(/không đúng định dạng/)
    const good = await citizen.post('/procedures/1.004873/apply/form', {
      ...answers,
      applicantIdNumber: '004090000001',
    })
    expect(good.headers.location).toBe('/procedures/1.004873/apply/documents')
    await citizen.get('/procedures/1.004873/apply/documents')
    const pdf = await samplePdf()
    const attached = await citizen.upload('/procedures/1.004873/apply/documents', {}, [
      { field: 'doc-0', name: 'to-khai.pdf', content: pdf },
      { field: 'doc-3', name: 'cccd.pdf', content: pdf },
    ])
    expect(attached.headers.location).toBe('/procedures/1.004873/apply/check')

    // The draft survives leaving and coming back.
    const again = await citizen.get('/procedures/1.004873/apply')
    expect(again.headers.location).toBe('/procedures/1.004873/apply/check')
    const check = await citizen.get('/procedures/1.004873/apply/check')
    expect(html(check).querySelector('main')!.text).toContain('004090000001')

    const submitted = await citizen.post('/procedures/1.004873/apply/check', {})
    expect(submitted.statusCode).toBe(303)
    const code = decodeURIComponent(String(submitted.headers.location).split('/').pop()!)
    expect(code).toMatch(/-261127-\d{4}$/)
    // A second click lands on the list instead of filing a second dossier.
    const twice = await citizen.post('/procedures/1.004873/apply/check', {})
    expect(twice.headers.location).toBe('/account/dossiers')
    const mine = await citizen.get('/account/dossiers')
    expect(html(mine).querySelectorAll('main li').length).toBe(1)
    const page = await citizen.get(`/dossiers/${code}`)
    expect(html(page).querySelector('main')!.text).toContain('Mới đăng ký')
  })

  it('sends officials to the counter instead', async () => {
    const officer = new Visitor(t.app)
    await officer.login('motcua.thucphan')
    expect((await officer.get('/procedures/1.004873/apply/unit')).statusCode).toBe(403)
  })

  it('shows the start button on a procedure page', async () => {
    const page = await t.app.inject({ url: '/procedures/1.004873' })
    expect(html(page).querySelector('a.button[href="/procedures/1.004873/apply"]')?.text).toBe(
      'Bắt đầu nộp hồ sơ',
    )
  })
})
