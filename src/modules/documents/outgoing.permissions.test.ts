import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../../test/app.js'
import { documentsFixture } from '../../../test/documents.js'
import { samplePdf } from '../../../test/files.js'

let t: TestApp
const { users: ids, api, signIn, draftOutgoing, approveOutgoing, issueOutgoing } = documentsFixture(() => t)
let ordinary = ''
let secret = ''

const PEOPLE = [
  'chuyenvien.sokhcn',
  'lanhdao.sokhcn',
  'vanthu.sokhcn',
  'qt.sokhcn',
  'chuyenvien.thucphan',
  'lanhdao.thucphan',
  'vanthu.thucphan',
  'congdan',
] as const

async function draftWithPdf(confidentiality: string) {
  return draftOutgoing(
    {
      typeCode: 'to-trinh',
      summary: `Tờ trình phê duyệt đề án (${confidentiality})`,
      confidentiality,
      recipients: [{ kind: 'external', agencyCode: '000.00.00.H14', name: 'UBND tỉnh Cao Bằng' }],
    },
    await samplePdf('Tờ trình'),
    { fileName: 'to-trinh.pdf' },
  )
}

beforeAll(async () => {
  t = await createTestApp({ clock: () => new Date('2026-11-27T02:00:00Z') })
  await signIn(PEOPLE)
  // An ordinary document, issued; a secret one, waiting for the leader.
  ordinary = await draftWithPdf('normal')
  await approveOutgoing(ordinary)
  await issueOutgoing(ordinary)
  secret = await draftWithPdf('secret')
  await api('chuyenvien.sokhcn', 'POST', `/documents/outgoing/${secret}/submit`, {
    chain: [ids['lanhdao.sokhcn']],
  })
})
afterAll(() => t.close())

describe('who may read an outgoing document', () => {
  it('shows an issued ordinary document to its drafter, approver and the unit’s clerk and leaders only', async () => {
    const statuses: Record<string, number> = {}
    for (const username of PEOPLE)
      statuses[username] = (await api(username, 'GET', `/documents/outgoing/${ordinary}`)).statusCode
    expect(statuses).toEqual({
      'chuyenvien.sokhcn': 200,
      'lanhdao.sokhcn': 200,
      'vanthu.sokhcn': 200,
      'qt.sokhcn': 403,
      'chuyenvien.thucphan': 403,
      'lanhdao.thucphan': 403,
      'vanthu.thucphan': 403,
      congdan: 403,
    })
  })

  it('hides a classified draft from everyone outside its chain, its existence included (404)', async () => {
    const statuses: Record<string, number> = {}
    for (const username of PEOPLE)
      statuses[username] = (await api(username, 'GET', `/documents/outgoing/${secret}`)).statusCode
    expect(statuses).toEqual({
      'chuyenvien.sokhcn': 200,
      'lanhdao.sokhcn': 200,
      'vanthu.sokhcn': 404,
      'qt.sokhcn': 404,
      'chuyenvien.thucphan': 404,
      'lanhdao.thucphan': 404,
      'vanthu.thucphan': 404,
      congdan: 404,
    })
    for (const username of ['vanthu.sokhcn', 'lanhdao.thucphan']) {
      const list = (await api(username, 'GET', '/documents/outgoing')).json()
      expect(list.items.map((i: { id: string }) => i.id)).not.toContain(secret)
    }
  })

  it('lets no one outside the unit download, package, comment on or act on its documents', async () => {
    for (const username of ['chuyenvien.thucphan', 'lanhdao.thucphan', 'vanthu.thucphan']) {
      expect((await api(username, 'GET', `/documents/outgoing/${ordinary}/signed`)).statusCode).toBe(403)
      expect((await api(username, 'GET', `/documents/outgoing/${ordinary}/edxml`)).statusCode).toBe(403)
      expect((await api(username, 'GET', `/documents/outgoing/${ordinary}/versions/1/file`)).statusCode).toBe(
        403,
      )
      expect(
        (await api(username, 'POST', `/documents/outgoing/${secret}/comments`, { body: 'Góp ý' })).statusCode,
      ).toBe(404)
      expect(
        (await api(username, 'POST', `/documents/outgoing/${secret}/step`, { action: 'approve' })).statusCode,
      ).toBe(404)
      expect((await api(username, 'POST', `/documents/outgoing/${ordinary}/issue`)).statusCode).toBe(403)
    }
    const register = (await api('vanthu.thucphan', 'GET', '/documents/outgoing/register')).json()
    expect(register.items).toEqual([])
  })

  it('audits a denied read', async () => {
    await api('lanhdao.thucphan', 'GET', `/documents/outgoing/${ordinary}`)
    const rows = await sql<{ n: number }>`select count(*)::int as n from (
      select actor_id, outcome from audit_pending union all select actor_id, outcome from audit_log) a
      where outcome = 'denied' and actor_id = ${ids['lanhdao.thucphan']}`.execute(t.database.db)
    expect(rows.rows[0]!.n).toBeGreaterThan(0)
  })
})
