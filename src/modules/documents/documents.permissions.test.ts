import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, Visitor, type TestApp } from '../../../test/app.js'
import { documentsFixture, OFFICIALS } from '../../../test/documents.js'
import { samplePdf } from '../../../test/files.js'

let t: TestApp
const { users, units, api, signIn, registerIncoming, addFiles } = documentsFixture(() => t)
let soKhcn = ''
// An ordinary document, a confidential one assigned to a person, an urgent one assigned to the unit.
const docs = { ordinary: '', confidential: '', urgent: '' }
const fileOf: Record<string, string> = {}

async function auditCount(action: string, objectId: string, actor: string): Promise<number> {
  const rows = await sql<{ n: number }>`
    select count(*)::int as n from (
      select action, object_id, actor_id from audit_pending
      union all select action, object_id, actor_id from audit_log
    ) a where action = ${action} and object_id = ${objectId} and actor_id = ${users[actor]!}`.execute(
    t.database.db,
  )
  return rows.rows[0]!.n
}

beforeAll(async () => {
  t = await createTestApp({ clock: () => new Date('2026-11-27T02:00:00Z') })
  await signIn([...OFFICIALS, 'quantri'])
  soKhcn = units['so-khcn']!
  const pdf = await samplePdf('Văn bản mật')
  const registerWithFile = async (key: keyof typeof docs, overrides: Record<string, unknown>) => {
    docs[key] = await registerIncoming('vanthu.sokhcn', {
      codeNumber: String(Object.keys(docs).indexOf(key) + 10),
      codeNotation: 'BCA-PA05',
      issuedOn: '2026-11-25',
      issuerName: 'Công an tỉnh Cao Bằng',
      typeCode: 'cong-van',
      summary: `Về việc bảo đảm an ninh mạng ${key} kỳ lân`,
      ...overrides,
    })
  }
  await registerWithFile('ordinary', {})
  // The file is attached while the document is still ordinary, so the clerk can add it.
  await registerWithFile('confidential', {})
  const added = await addFiles('vanthu.sokhcn', docs.confidential, [{ name: 'mat.pdf', content: pdf }])
  fileOf.confidential = added.json()[0].id
  await sql`update documents set confidentiality = 'confidential' where id = ${docs.confidential}`.execute(
    t.database.db,
  )
  await registerWithFile('urgent', { urgency: 'flash' })
  await api('lanhdao.sokhcn', 'POST', `/documents/${docs.confidential}/assignments`, {
    lead: { kind: 'user', id: users['chuyenvien.sokhcn'] },
    days: 2,
  })
  await api('lanhdao.sokhcn', 'POST', `/documents/${docs.urgent}/assignments`, {
    lead: { kind: 'unit', id: soKhcn },
    days: 1,
  })
})
afterAll(() => t.close())

const listed = async (username: string, query = '') =>
  ((await api(username, 'GET', `/documents${query}`)).json().items as { id: string }[]).map((d) => d.id)

describe('officials of another unit', () => {
  for (const username of ['vanthu.thucphan', 'lanhdao.thucphan', 'chuyenvien.thucphan']) {
    it(`shows ${username} nothing: not in lists, not in search, refused on direct access`, async () => {
      const mine = [...(await listed(username)), ...(await listed(username, '?q=ky+lan'))]
      for (const id of Object.values(docs)) expect(mine).not.toContain(id)
      const queue = (await api(username, 'GET', '/documents/queue')).json()
      expect(JSON.stringify(queue)).not.toContain('kỳ lân')
      expect((await api(username, 'GET', `/documents/${docs.ordinary}`)).statusCode).toBe(403)
      expect((await api(username, 'GET', `/documents/${docs.confidential}`)).statusCode).toBe(404)
      expect((await api(username, 'GET', `/documents/${docs.urgent}`)).statusCode).toBe(404)
      expect(
        (await api(username, 'GET', `/documents/${docs.confidential}/files/${fileOf.confidential}`))
          .statusCode,
      ).toBe(404)
      expect((await api(username, 'GET', `/documents/${docs.ordinary}/edxml`)).statusCode).toBe(403)
      const browser = new Visitor(t.app)
      await browser.login(username)
      expect((await browser.get(`/admin/documents/${docs.ordinary}`)).statusCode).toBe(403)
      expect((await browser.get(`/admin/documents/${docs.confidential}`)).statusCode).toBe(404)
      const page = await browser.get('/admin/documents/incoming?q=ky+lan')
      expect(page.statusCode).toBe(200)
      expect(page.body).not.toContain('kỳ lân')
    })
  }

  it('cannot assign, act on or add files to another unit’s document', async () => {
    const { id: assignment } = (await api('lanhdao.sokhcn', 'GET', `/documents/${docs.urgent}`)).json()
      .assignments[0]
    expect(
      (
        await api('lanhdao.thucphan', 'POST', `/documents/${docs.ordinary}/assignments`, {
          lead: { kind: 'user', id: users['chuyenvien.thucphan'] },
          days: 1,
        })
      ).statusCode,
    ).toBe(403)
    expect(
      (
        await api('lanhdao.thucphan', 'POST', `/documents/${docs.urgent}/assignments/${assignment}/actions`, {
          action: 'complete',
        })
      ).statusCode,
    ).toBe(404)
    const upload = await addFiles('vanthu.thucphan', docs.ordinary, [
      { name: 'x.pdf', content: await samplePdf() },
    ])
    expect(upload.statusCode).toBe(403)
  })

  it('records the refused direct access as a denial', async () => {
    await api('chuyenvien.thucphan', 'GET', `/documents/${docs.ordinary}`)
    const rows = await sql<{ n: number }>`
      select count(*)::int as n from (select action, actor_id from audit_pending union all select action, actor_id from audit_log) a
      where action = 'permission.denied' and actor_id = ${users['chuyenvien.thucphan']!}`.execute(
      t.database.db,
    )
    expect(rows.rows[0]!.n).toBeGreaterThan(0)
  })
})

describe('confidential and urgent documents', () => {
  it('are visible to the unit’s leaders', async () => {
    const all = await listed('lanhdao.sokhcn', '?q=ky+lan')
    expect(all.sort()).toEqual(Object.values(docs).sort())
  })

  it('are hidden from the clerk who registered them, who keeps seeing ordinary ones', async () => {
    expect((await listed('vanthu.sokhcn', '?q=ky+lan')).sort()).toEqual([docs.ordinary])
    expect((await api('vanthu.sokhcn', 'GET', `/documents/${docs.confidential}`)).statusCode).toBe(404)
    expect((await api('vanthu.sokhcn', 'GET', `/documents/${docs.urgent}`)).statusCode).toBe(404)
  })

  it('are visible to a person assigned, but not to the officials of a unit assigned', async () => {
    // The specialist is assigned the confidential one by name; the urgent one went to the unit as a whole.
    expect(await listed('chuyenvien.sokhcn', '?q=ky+lan')).toEqual([docs.confidential])
    expect((await api('chuyenvien.sokhcn', 'GET', `/documents/${docs.urgent}`)).statusCode).toBe(404)
    const queue = (await api('chuyenvien.sokhcn', 'GET', '/documents/queue')).json()
    expect(queue.assignments.map((a: { documentId: string }) => a.documentId)).toEqual([docs.confidential])
  })

  it('audit every view and download, and only those of classified documents', async () => {
    const before = await auditCount('document.viewed', docs.confidential, 'chuyenvien.sokhcn')
    expect((await api('chuyenvien.sokhcn', 'GET', `/documents/${docs.confidential}`)).statusCode).toBe(200)
    const browser = new Visitor(t.app)
    await browser.login('chuyenvien.sokhcn')
    expect((await browser.get(`/admin/documents/${docs.confidential}`)).statusCode).toBe(200)
    expect(await auditCount('document.viewed', docs.confidential, 'chuyenvien.sokhcn')).toBe(before + 2)
    const download = await api(
      'chuyenvien.sokhcn',
      'GET',
      `/documents/${docs.confidential}/files/${fileOf.confidential}`,
    )
    expect(download.statusCode).toBe(200)
    expect(await auditCount('document.file_downloaded', fileOf.confidential!, 'chuyenvien.sokhcn')).toBe(1)
    await api('lanhdao.sokhcn', 'GET', `/documents/${docs.ordinary}`)
    expect(await auditCount('document.viewed', docs.ordinary, 'lanhdao.sokhcn')).toBe(0)
  })

  it('keeps an ordinary document from a specialist until it is assigned to their unit', async () => {
    expect((await api('chuyenvien.sokhcn', 'GET', `/documents/${docs.ordinary}`)).statusCode).toBe(403)
    await api('lanhdao.sokhcn', 'POST', `/documents/${docs.ordinary}/assignments`, {
      lead: { kind: 'unit', id: soKhcn },
      days: 2,
    })
    expect((await api('chuyenvien.sokhcn', 'GET', `/documents/${docs.ordinary}`)).statusCode).toBe(200)
  })

  it('give a province administrator without a document role nothing', async () => {
    expect(await listed('quantri', '?q=ky+lan')).toEqual([])
  })
})
