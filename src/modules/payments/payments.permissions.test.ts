import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  apiToken,
  createTestApp,
  DEMO_PASSWORD,
  html,
  requiredDocuments,
  Visitor,
  type TestApp,
} from '../../../test/app.js'
import { samplePdf } from '../../../test/files.js'
import { paymentSandboxSecret } from '../../platform/config.js'
import { createIdentityModule } from '../identity/index.js'
import { createOrganisationModule } from '../organisation/index.js'
import { parseQuery, sign, toQuery } from './signed-query.js'

const PROCEDURE = '1.004873'
let t: TestApp
let code = ''
let reference = ''

/** The signed result of a success for the attempt, as the gateway sends it in its notice and the return. */
function paidParams() {
  return sign(
    {
      vnp_TmnCode: 'CBDVC001',
      vnp_Amount: '1500000',
      vnp_BankCode: 'NCB',
      vnp_OrderInfo: `Nộp phí, lệ phí hồ sơ ${code}`,
      vnp_PayDate: '20261127100000',
      vnp_ResponseCode: '00',
      vnp_TransactionNo: '424242',
      vnp_TransactionStatus: '00',
      vnp_TxnRef: reference,
    },
    paymentSandboxSecret(t.config),
  )
}

/** The gateway's notice, sent here through inject. */
function notifyPaid() {
  return t.app.inject({ url: `/payments/callback/sandbox?${toQuery(paidParams())}` })
}

async function as(username: string, password = DEMO_PASSWORD) {
  const visitor = new Visitor(t.app)
  await visitor.login(username, password)
  return visitor
}

beforeAll(async () => {
  t = await createTestApp()
  const deps = { db: t.database.db, config: t.config, clock: () => new Date() }
  const identity = createIdentityModule({ ...deps, organisation: createOrganisationModule(deps).service })
  await identity.users.createUserTrusted(
    {
      username: 'congdan2',
      fullName: 'Trần Thị Bình',
      password: DEMO_PASSWORD,
      kind: 'citizen',
      homeUnitId: null,
      role: 'citizen',
      includeSubtree: false,
    },
    { actorId: null, actorLabel: 'test', ip: null, requestId: null },
  )
  const bearer = await apiToken(t, 'congdan')
  const wardId = (
    await sql<{ id: string }>`select id from org_units where key = 'phuong-thuc-phan'`.execute(t.database.db)
  ).rows[0]!.id
  const procedure = (await t.app.inject({ url: `/api/v1/procedures/${PROCEDURE}` })).json()
  const form = {
    applicantFullName: 'Nguyễn Văn An',
    applicantIdNumber: '004090000001',
    applicantBirthDate: '1990-05-01',
    ...Object.fromEntries(
      procedure.form
        .filter((f: { options?: string[] }) => f.options?.length)
        .map((f: { name: string; options: string[] }) => [f.name, f.options[0]]),
    ),
  }
  const created = await t.app.inject({
    method: 'POST',
    url: '/api/v1/dossiers',
    headers: { authorization: `Bearer ${bearer}` },
    payload: {
      procedureCode: PROCEDURE,
      unitId: wardId,
      form,
      documents: await requiredDocuments(t, bearer, PROCEDURE, await samplePdf()),
    },
  })
  code = created.json().code as string
})
afterAll(() => t?.close())

describe('who may see and pay a dossier’s fee', () => {
  it('sends a visitor who is not signed in to the login page', async () => {
    const response = await new Visitor(t.app).get(`/dossiers/${code}/pay`)
    expect(response.statusCode).toBe(303)
    expect(response.headers.location).toBe(`/login?next=${encodeURIComponent(`/dossiers/${code}/pay`)}`)
  })

  it('lets the applicant start a payment and sends them to the gateway', async () => {
    const citizen = await as('congdan')
    await citizen.get(`/dossiers/${code}/pay`)
    const started = await citizen.post(`/dossiers/${code}/pay`, {})
    expect(started.statusCode).toBe(303)
    // Without PUBLIC_URL the gateway is on the origin the browser used.
    expect(String(started.headers.location)).toMatch(/^http:\/\/localhost(:\d+)?\/sandbox-gateway\/pay\?/)
    reference = parseQuery(String(started.headers.location).split('?')[1]!)!.vnp_TxnRef!
    expect(reference).toBe(`${code}-TT1`)
  })

  it('refuses another citizen the page, the payment and the receipt, and answers 404 for an unknown dossier', async () => {
    const other = await as('congdan2')
    expect((await other.get(`/dossiers/${code}/pay`)).statusCode).toBe(403)
    const start = await other.post(`/dossiers/${code}/pay`, {})
    expect(start.statusCode).toBe(403)
    expect((await other.get(`/dossiers/${code}/pay/receipt`)).statusCode).toBe(403)
    expect((await other.get('/dossiers/001.90.00.H14-261127-9999/pay')).statusCode).toBe(404)
    expect((await other.get('/dossiers/not-a-code/pay')).statusCode).toBe(404)
    const attempts = await sql<{ n: number }>`
      select count(*)::int as n from payments where dossier_code = ${code}`.execute(t.database.db)
    expect(attempts.rows[0]!.n).toBe(1)
  })

  it('shows the unit’s officer the page without a payment button, and refuses officers of other units', async () => {
    const officer = await as('motcua.thucphan')
    const page = await officer.get(`/dossiers/${code}/pay`)
    expect(page.statusCode).toBe(200)
    expect(html(page).querySelector('main form')).toBeNull()
    expect(html(page).querySelector('main')!.text).toContain(`${code}-TT1`)
    expect((await officer.post(`/dossiers/${code}/pay`, {})).statusCode).toBe(403)
    expect((await (await as('chuyenvien.sokhcn')).get(`/dossiers/${code}/pay`)).statusCode).toBe(403)
  })

  it('gives the receipt to the applicant and the unit’s officers once paid, and to nobody else', async () => {
    expect((await notifyPaid()).json()).toEqual({ RspCode: '00', Message: 'Confirm Success' })
    expect((await (await as('congdan')).get(`/dossiers/${code}/pay/receipt`)).statusCode).toBe(200)
    expect((await (await as('motcua.thucphan')).get(`/dossiers/${code}/pay/receipt`)).statusCode).toBe(200)
    expect((await (await as('congdan2')).get(`/dossiers/${code}/pay/receipt`)).statusCode).toBe(403)
    expect((await (await as('chuyenvien.sokhcn')).get(`/dossiers/${code}/pay/receipt`)).statusCode).toBe(403)
  })

  it('shows another citizen nothing of a payment’s return, even with genuine parameters', async () => {
    const params = paidParams()
    const other = await (await as('congdan2')).get(`/payments/return/sandbox?${toQuery(params)}`)
    expect(other.statusCode).toBe(400)
    expect(html(other).querySelector('main')!.text).not.toContain(code)
    const own = await (await as('congdan')).get(`/payments/return/sandbox?${toQuery(params)}`)
    expect(html(own).querySelector('#outcome')!.text).toContain('đã được ghi nhận')
  })
})

describe('who may reconcile payments', () => {
  it('lets receiving officers and administrators in, and nobody else', async () => {
    for (const [username, status] of [
      ['motcua.thucphan', 200],
      ['quantri', 200],
      ['congdan', 403],
      ['chuyenvien.thucphan', 403],
      ['qt.thucphan', 403],
    ] as const) {
      const visitor = await as(username)
      expect((await visitor.get('/admin/payments')).statusCode, username).toBe(status)
      if (status === 403) {
        await visitor.get('/')
        expect((await visitor.post('/admin/payments/recheck', {})).statusCode, username).toBe(403)
      }
    }
  })

  it('does not know callbacks of an unknown provider', async () => {
    const response = await t.app.inject({ url: '/payments/callback/paygov?x=1' })
    expect(response.statusCode).toBe(404)
  })
})
