import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, errorSummary, html, Visitor, type TestApp } from '../../../test/app.js'
import { listAudit } from '../../platform/audit/audit.js'
import { tablesOf } from '../../platform/db/tables.js'
import { organisationPaths as paths } from './organisation.paths.js'
import type { OrgTables } from './organisation.tables.js'

let t: TestApp
const clock = () => new Date('2025-08-01T03:00:00Z')

beforeAll(async () => {
  t = await createTestApp({ clock })
})
afterAll(() => t.close())

async function unitId(key: string): Promise<string> {
  const row = await tablesOf<OrgTables>(t.database.db)
    .selectFrom('org_units')
    .select('id')
    .where('key', '=', key)
    .executeTakeFirstOrThrow()
  return row.id
}

async function signedIn(username: string): Promise<Visitor> {
  const visitor = new Visitor(t.app)
  await visitor.login(username)
  return visitor
}

const validForm = (parentId: string, overrides: Record<string, string> = {}) => ({
  parentId,
  name: 'Trung tâm Chuyển đổi số',
  shortName: 'TT CĐS',
  type: 'office',
  agencyCode: '',
  adminUnitCode: '',
  validFrom: '2025-08-01',
  validTo: '',
  ...overrides,
})

describe('the list of units', () => {
  it('sends an anonymous visitor to the login page', async () => {
    const response = await t.app.inject({ url: paths.list })
    expect(response.statusCode).toBe(303)
    expect(response.headers.location).toBe(`/login?next=${encodeURIComponent(paths.list)}`)
  })

  it('is refused to a citizen', async () => {
    const visitor = await signedIn('congdan')
    expect((await visitor.get(paths.list)).statusCode).toBe(403)
  })

  it('shows a specialist today’s tree, without edit or create links', async () => {
    const visitor = await signedIn('chuyenvien.sokhcn')
    const response = await visitor.get(paths.list)
    expect(response.statusCode).toBe(200)
    const page = html(response)
    expect(page.querySelector('h1')?.text).toBe('Cơ cấu tổ chức')
    expect(page.querySelector('#activeOn')?.getAttribute('value')).toBe('2025-08-01')
    const text = page.querySelector('main')!.text
    expect(text).toContain('Ủy ban nhân dân phường Thục Phán')
    expect(text).not.toContain('Ủy ban nhân dân huyện Bảo Lâm')
    expect(page.querySelectorAll(`a[href="${paths.create}"]`)).toHaveLength(0)
    expect(page.querySelectorAll('a[href$="/edit"]')).toHaveLength(0)
  })

  it('nests the communes inside the province committee', async () => {
    const visitor = await signedIn('chuyenvien.sokhcn')
    const page = html(await visitor.get(paths.list))
    const root = page.querySelector(`#unit-${await unitId('ubnd-tinh')}`)!
    expect(root.querySelector(`#unit-${await unitId('xa-bao-lam')}`)).not.toBeNull()
  })

  it('shows the districts on a date before July 2025', async () => {
    const visitor = await signedIn('chuyenvien.sokhcn')
    const text = html(await visitor.get(paths.listFiltered({ activeOn: '2024-12-31' }))).querySelector(
      'main',
    )!.text
    expect(text).toContain('Ủy ban nhân dân huyện Bảo Lâm')
    expect(text).not.toContain('Ủy ban nhân dân phường Thục Phán')
  })

  it('finds a ward typed without diacritics and marks the match', async () => {
    const visitor = await signedIn('chuyenvien.sokhcn')
    const page = html(await visitor.get(paths.listFiltered({ q: 'thuc phan' })))
    expect(page.querySelectorAll('mark').map((m) => m.querySelector('strong')?.text)).toEqual([
      'Ủy ban nhân dân phường Thục Phán',
    ])
    expect(page.querySelector('[role="status"]')?.text).toBe('1 đơn vị')
  })

  it('answers a malformed date with a field error, not a 500', async () => {
    const visitor = await signedIn('chuyenvien.sokhcn')
    const response = await visitor.get(paths.listFiltered({ activeOn: '2025-02-31' }))
    expect(response.statusCode).toBe(400)
    expect(errorSummary(response)).toEqual(['Ngày không hợp lệ (dạng ngày/tháng/năm, ví dụ 01/07/2025).'])
  })

  it('escapes a search term that tries to break out of its field', async () => {
    const visitor = await signedIn('chuyenvien.sokhcn')
    const attack = '"><script>alert(1)</script>'
    const page = html(await visitor.get(paths.listFiltered({ q: attack })))
    expect(page.querySelectorAll('script')).toHaveLength(0)
    expect(page.querySelector('#q')?.getAttribute('value')).toBe(attack)
  })

  it('gives a unit admin edit links only for their own subtree', async () => {
    const visitor = await signedIn('qt.sokhcn')
    const page = html(await visitor.get(paths.list))
    expect(page.querySelectorAll(`a[href="${paths.create}"]`)).toHaveLength(1)
    const edits = page.querySelectorAll('a[href$="/edit"]').map((a) => a.getAttribute('href'))
    expect(edits).toEqual([paths.edit(await unitId('so-khcn'))])
  })
})

describe('adding a unit', () => {
  it('offers a unit admin only their own units as parents', async () => {
    const visitor = await signedIn('qt.sokhcn')
    const page = html(await visitor.get(paths.create))
    const options = page.querySelectorAll('#parentId option').map((o) => o.getAttribute('value'))
    expect(options).toEqual(['', await unitId('so-khcn')])
    expect(page.querySelector('label[for="name"]')?.text).toBe('Tên đơn vị')
  })

  it('creates the unit and redirects to the list with a message', async () => {
    const visitor = await signedIn('qt.sokhcn')
    await visitor.get(paths.create)
    const response = await visitor.post(paths.create, {
      ...validForm(await unitId('so-khcn')),
      requireTotp: 'on',
    })
    expect(response.statusCode).toBe(303)
    expect(response.headers.location).toBe(paths.list)
    const list = await visitor.get(paths.list)
    expect(html(list).querySelector('.notice')?.text.trim()).toBe('Đã thêm đơn vị “Trung tâm Chuyển đổi số”.')
    const [entry] = await listAudit(t.database.db, { action: 'unit.created' })
    expect(entry).toMatchObject({ actor_label: 'qt.sokhcn', object_type: 'org_unit' })
  })

  it('shows the form again with an error summary linking to each field and the values kept', async () => {
    const visitor = await signedIn('qt.sokhcn')
    await visitor.get(paths.create)
    const response = await visitor.post(
      paths.create,
      validForm(await unitId('so-khcn'), { name: 'X', agencyCode: '000.00.00.H14', validTo: '2020-01-01' }),
    )
    expect(response.statusCode).toBe(422)
    const page = html(response)
    expect(page.querySelectorAll('.error-summary a').map((a) => a.getAttribute('href'))).toEqual([
      '#name',
      '#agencyCode',
      '#validTo',
    ])
    expect(errorSummary(response)[1]).toBe(
      'Mã định danh 000.00.00.H14 đã được dùng cho đơn vị “Ủy ban nhân dân tỉnh Cao Bằng”.',
    )
    expect(page.querySelector('#name')?.getAttribute('value')).toBe('X')
    expect(page.querySelector('#shortName')?.getAttribute('value')).toBe('TT CĐS')
    expect(page.querySelector('#name-error')?.text).toBe('Tên đơn vị phải có từ 2 đến 200 ký tự.')
    expect(page.querySelector('#parentId option[selected]')?.getAttribute('value')).toBe(
      await unitId('so-khcn'),
    )
  })

  it('refuses a unit under another unit’s parent with 403', async () => {
    const visitor = await signedIn('qt.sokhcn')
    await visitor.get(paths.create)
    const response = await visitor.post(paths.create, validForm(await unitId('so-y-te')))
    expect(response.statusCode).toBe(403)
  })

  it('refuses a form without its CSRF token', async () => {
    const visitor = await signedIn('qt.sokhcn')
    const response = await visitor.post(paths.create, validForm(await unitId('so-khcn')), { csrf: null })
    expect(response.statusCode).toBe(403)
  })

  it('is refused to a specialist', async () => {
    const visitor = await signedIn('chuyenvien.sokhcn')
    expect((await visitor.get(paths.create)).statusCode).toBe(403)
  })
})

describe('editing a unit', () => {
  it('shows the unit’s values and saves a change', async () => {
    const visitor = await signedIn('quantri')
    const id = await unitId('so-y-te')
    const form = html(await visitor.get(paths.edit(id)))
    expect(form.querySelector('#name')?.getAttribute('value')).toBe('Sở Y tế')
    expect(form.querySelector('#type option[selected]')?.getAttribute('value')).toBe('department')
    const response = await visitor.post(paths.edit(id), {
      parentId: await unitId('ubnd-tinh'),
      name: 'Sở Y tế',
      shortName: 'SYT',
      type: 'department',
      agencyCode: '000.17.00.H14',
      adminUnitCode: '',
      validFrom: '01/01/2021',
      validTo: '',
      requireTotp: 'on',
    })
    expect(response.statusCode).toBe(303)
    const [entry] = await listAudit(t.database.db, { action: 'unit.updated', objectId: id })
    expect(entry?.details).toEqual({
      before: { shortName: 'Sở YT', requireTotp: false },
      after: { shortName: 'SYT', requireTotp: true },
    })
  })

  it('answers 404 for a malformed or unknown id', async () => {
    const visitor = await signedIn('quantri')
    expect((await visitor.get('/admin/units/not-a-uuid/edit')).statusCode).toBe(404)
    expect((await visitor.get(paths.edit('00000000-0000-4000-8000-000000000000'))).statusCode).toBe(404)
  })

  it('refuses a unit admin another unit’s edit form', async () => {
    const visitor = await signedIn('qt.sokhcn')
    expect((await visitor.get(paths.edit(await unitId('so-y-te')))).statusCode).toBe(403)
  })
})
