import { readFileSync } from 'node:fs'
import { createServer, request as httpRequest, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiToken, createTestApp, html, requiredDocuments, Visitor, type TestApp } from '../../../test/app.js'
import { samplePdf } from '../../../test/files.js'
import { pdfsig, pdfText, skipWithoutPoppler } from '../../../test/pdf.js'
import { paymentSandboxSecret } from '../../platform/config.js'
import { verifyPdf } from '../../platform/signing/index.js'
import { SANDBOX_TEST_CARD } from './sandbox-gateway.js'
import { parseQuery, sign, toQuery, type SignedParams } from './signed-query.js'

// 1.004873 (xác nhận tình trạng hôn nhân): 15,000 đồng before intake; documents 0 and 3 are required.
const PROCEDURE = '1.004873'
const FEE = 15_000
const poll = { timeout: 20_000, interval: 50 }

/**
 * Stands between the gateway and the platform's public address, as a load balancer would, so a test can take
 * the callback endpoint down (503) while the rest of the platform keeps answering.
 */
class Gateway {
  callbacksDown = false
  appPort = 0
  private server: Server | undefined

  async start(): Promise<number> {
    this.server = createServer((req, res) => {
      if (this.callbacksDown && req.url?.startsWith('/payments/callback/')) {
        res.writeHead(503).end('Service Unavailable')
        return
      }
      const upstream = httpRequest(
        { host: '127.0.0.1', port: this.appPort, path: req.url, method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers)
          answer.pipe(res)
        },
      )
      upstream.on('error', () => res.writeHead(502).end())
      req.pipe(upstream)
    })
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    return (this.server.address() as AddressInfo).port
  }

  close() {
    return new Promise((resolve) => this.server?.close(resolve) ?? resolve(undefined))
  }
}

let t: TestApp
let publicUrl: string
let secret: string
let clockOffsetMs = 0
const gateway = new Gateway()
const tokens: Record<string, string> = {}
let wardId = ''
let answers: Record<string, string> = {}
let documents: { document: number; fileId: string }[] = []
let pdf: Buffer

beforeAll(async () => {
  const port = await gateway.start()
  publicUrl = `http://127.0.0.1:${port}`
  t = await createTestApp({
    env: { PUBLIC_URL: publicUrl },
    clock: () => new Date(Date.now() + clockOffsetMs),
  })
  await t.app.listen({ port: 0, host: '127.0.0.1' })
  gateway.appPort = (t.app.server.address() as AddressInfo).port
  await t.app.jobs.start()
  secret = paymentSandboxSecret(t.config)
  for (const username of ['congdan', 'motcua.thucphan', 'quantri', 'qt.sokhcn'])
    tokens[username] = await apiToken(t, username)
  wardId = (
    await sql<{ id: string }>`select id from org_units where key = 'phuong-thuc-phan'`.execute(t.database.db)
  ).rows[0]!.id
  const procedure = (await t.app.inject({ url: `/api/v1/procedures/${PROCEDURE}` })).json()
  answers = {
    applicantFullName: 'Nguyễn Văn An',
    applicantIdNumber: '004090000001',
    applicantBirthDate: '1990-05-01',
    ...Object.fromEntries(
      procedure.form
        .filter((f: { options?: string[] }) => f.options?.length)
        .map((f: { name: string; options: string[] }) => [f.name, f.options[0]]),
    ),
  }
  pdf = await samplePdf()
})
afterAll(async () => {
  await t?.close()
  await gateway.close()
})

const as = (username: string) => ({ authorization: `Bearer ${tokens[username]}` })

async function submitDossier(): Promise<string> {
  documents = await requiredDocuments(t, tokens.congdan!, PROCEDURE, pdf)
  const created = await t.app.inject({
    method: 'POST',
    url: '/api/v1/dossiers',
    headers: as('congdan'),
    payload: { procedureCode: PROCEDURE, unitId: wardId, form: answers, documents },
  })
  expect(created.statusCode, created.body).toBe(201)
  return created.json().code as string
}

async function citizen(): Promise<Visitor> {
  const visitor = new Visitor(t.app)
  await visitor.login('congdan')
  return visitor
}

const pathOf = (url: string) => {
  const parsed = new URL(url)
  return `${parsed.pathname}${parsed.search}`
}

/** Presses "Thanh toán" and opens the gateway's page; returns the page's form. */
async function openGateway(visitor: Visitor, code: string) {
  await visitor.get(`/dossiers/${code}/pay`)
  const started = await visitor.post(`/dossiers/${code}/pay`, {})
  expect(started.statusCode, started.body).toBe(303)
  const location = String(started.headers.location)
  expect(location.startsWith(`${publicUrl}/sandbox-gateway/pay?`)).toBe(true)
  const page = await visitor.get(pathOf(location))
  expect(page.statusCode, page.body).toBe(200)
  const value = (name: string) =>
    html(page).querySelector(`input[name="${name}"]`)?.getAttribute('value') ?? ''
  return {
    page,
    reference: parseQuery(location.split('?')[1]!)!.vnp_TxnRef!,
    form: { transaction: value('transaction'), token: value('token') },
  }
}

/** The customer's choice on the gateway page; returns the signed return address the browser is sent to. */
async function choose(
  visitor: Visitor,
  form: { transaction: string; token: string },
  outcome: 'succeeded' | 'failed',
) {
  const chosen = await visitor.post('/sandbox-gateway/pay', {
    ...form,
    outcome,
    cardNumber: outcome === 'succeeded' ? SANDBOX_TEST_CARD : '',
  })
  expect(chosen.statusCode, chosen.body).toBe(303)
  const location = String(chosen.headers.location)
  expect(location.startsWith(`${publicUrl}/payments/return/sandbox?`)).toBe(true)
  return { location, params: parseQuery(location.split('?')[1]!)! }
}

async function dossier(code: string) {
  return (await t.app.inject({ url: `/api/v1/dossiers/${code}`, headers: as('congdan') })).json()
}

async function payment(reference: string) {
  const result = await sql<{
    status: string
    recorded: boolean
    record_problem: string | null
    attempt: number
  }>`select status, recorded, record_problem, attempt from payments where reference = ${reference}`.execute(
    t.database.db,
  )
  return result.rows[0]
}

async function callbacks(reference: string) {
  const result = await sql<{ source: string; outcome: string; signature_ok: boolean }>`
    select source, outcome, signature_ok from payment_callbacks where reference = ${reference} order by id`.execute(
    t.database.db,
  )
  return result.rows
}

async function feePaidEvents(code: string) {
  const result = await sql<{ n: number }>`
    select count(*)::int as n from outbox where topic = 'dossier.fee_paid' and payload->>'code' = ${code}`.execute(
    t.database.db,
  )
  return result.rows[0]!.n
}

async function notice(id: string) {
  const result = await sql<{
    ipn_attempts: number
    ipn_acknowledged_at: Date | null
    ipn_last_error: string | null
  }>`
    select ipn_attempts, ipn_acknowledged_at, ipn_last_error from sandbox_gateway_transactions
    where transaction_no = ${Number(id)}`.execute(t.database.db)
  return result.rows[0]!
}

/** A notice sent to the platform's callback address over HTTP, as the gateway would send it. */
async function sendCallback(params: SignedParams) {
  const response = await fetch(`${publicUrl}/payments/callback/sandbox?${toQuery(params)}`)
  return { status: response.status, body: (await response.json()) as { RspCode: string } }
}

const receive = (code: string) =>
  t.app.inject({
    method: 'POST',
    url: `/api/v1/dossiers/${code}/actions`,
    headers: as('motcua.thucphan'),
    payload: { action: 'receive' },
  })

describe('paying a dossier fee online through the sandbox gateway', () => {
  it('pays, is notified over HTTP, records the fee once, and then allows intake', async () => {
    const code = await submitDossier()
    expect((await receive(code)).statusCode).toBe(409)
    const visitor = await citizen()
    const page = await visitor.get(`/dossiers/${code}/pay`)
    expect(page.statusCode).toBe(200)
    const main = html(page).querySelector('main')!.text
    expect(main).toContain('15.000 đồng')
    expect(main).toContain('Mười lăm nghìn đồng')
    expect(main).toContain('Cấp Giấy xác nhận tình trạng hôn nhân')
    expect(html(page).querySelector('main form button')?.text.trim()).toBe('Thanh toán')

    const { page: gatewayPage, form, reference } = await openGateway(visitor, code)
    expect(reference).toBe(`${code}-TT1`)
    const shown = html(gatewayPage)
    expect(shown.querySelector('#sandbox-notice')!.text).toContain('MÔI TRƯỜNG THỬ NGHIỆM (SANDBOX)')
    expect(shown.querySelector('#merchant')!.text).toContain('Cổng Dịch vụ công tỉnh Cao Bằng')
    expect(shown.querySelector('#order-info')!.text).toContain(code)
    expect(shown.querySelector('#amount')!.text).toContain('15.000 VND')
    expect(shown.querySelectorAll('button').map((b) => b.text.trim())).toEqual([
      'Thanh toán thành công',
      'Thanh toán thất bại',
    ])

    const wrongCard = await visitor.post('/sandbox-gateway/pay', {
      ...form,
      outcome: 'succeeded',
      cardNumber: '4111111111111111',
    })
    expect(wrongCard.statusCode).toBe(422)
    expect(html(wrongCard).querySelector('#cardNumber-error')!.text).toContain('Số thẻ không đúng')

    const { location } = await choose(visitor, form, 'succeeded')
    await expect.poll(async () => (await dossier(code)).feePaidOnline, poll).toBe(true)
    expect(await payment(reference)).toMatchObject({
      status: 'succeeded',
      recorded: true,
      record_problem: null,
    })
    const back = await visitor.get(pathOf(location))
    expect(html(back).querySelector('#outcome')!.text).toBe(
      `Thanh toán thành công. Hồ sơ ${code} đã được ghi nhận nộp phí, lệ phí trực tuyến.`,
    )
    expect(await callbacks(reference)).toEqual([
      { source: 'callback', outcome: 'applied_succeeded', signature_ok: true },
    ])
    await expect.poll(async () => (await notice(form.transaction)).ipn_acknowledged_at, poll).not.toBeNull()
    expect(await feePaidEvents(code)).toBe(1)
    expect((await dossier(code)).feePaidAt).not.toBeNull()
    expect((await receive(code)).statusCode).toBe(200)

    // Once paid, the page offers the receipt instead of the button.
    const after = await visitor.get(`/dossiers/${code}/pay`)
    expect(html(after).querySelector('main form')).toBeNull()
    expect(html(after).querySelector('#fee-state')!.text).toContain('Đã nộp trực tuyến')
    expect(html(after).querySelector(`a[href="/dossiers/${code}/pay/receipt"]`)).not.toBeNull()
  })

  it('keeps a failed attempt, lets the citizen try again, and records the retry', async () => {
    const code = await submitDossier()
    const visitor = await citizen()
    const first = await openGateway(visitor, code)
    const failed = await choose(visitor, first.form, 'failed')
    expect(failed.params.vnp_ResponseCode).toBe('51')
    await expect.poll(async () => (await payment(first.reference))?.status, poll).toBe('failed')
    const back = await visitor.get(pathOf(failed.location))
    expect(html(back).querySelector('#outcome')!.text).toContain('Thanh toán không thành công (mã 51)')
    expect((await dossier(code)).feePaidAt).toBeNull()
    // A second click on a finished transaction goes back to the platform and changes nothing.
    const again = await visitor.post('/sandbox-gateway/pay', { ...first.form, outcome: 'succeeded' })
    expect(again.statusCode).toBe(303)
    expect(await payment(first.reference)).toMatchObject({ status: 'failed' })

    const page = await visitor.get(`/dossiers/${code}/pay`)
    expect(html(page).querySelector('main form button')?.text.trim()).toBe('Thanh toán')
    expect(html(page).querySelector('main')!.text).toContain('Không thành công')
    const second = await openGateway(visitor, code)
    expect(second.reference).toBe(`${code}-TT2`)
    await choose(visitor, second.form, 'succeeded')
    await expect.poll(async () => (await dossier(code)).feePaidOnline, poll).toBe(true)
    expect(await payment(second.reference)).toMatchObject({ status: 'succeeded', recorded: true })
    expect(await payment(first.reference)).toMatchObject({ status: 'failed', recorded: false })
    expect(await feePaidEvents(code)).toBe(1)
  })

  it('takes duplicate and out-of-order notices without changing anything', async () => {
    const code = await submitDossier()
    const visitor = await citizen()
    const { form, reference } = await openGateway(visitor, code)
    const { params } = await choose(visitor, form, 'succeeded')
    await expect.poll(async () => (await dossier(code)).feePaidOnline, poll).toBe(true)
    const paidAt = (await dossier(code)).feePaidAt

    // The same notice again (the gateway's retry), and a late "failed" for the same transaction.
    expect(await sendCallback(params)).toEqual({
      status: 200,
      body: { RspCode: '02', Message: 'Order already confirmed' },
    })
    const lateFailure = sign({ ...params, vnp_ResponseCode: '51', vnp_TransactionStatus: '02' }, secret)
    expect(await sendCallback(lateFailure)).toEqual({
      status: 200,
      body: { RspCode: '02', Message: 'Order already confirmed' },
    })
    expect(await payment(reference)).toMatchObject({ status: 'succeeded', recorded: true })
    expect((await dossier(code)).feePaidAt).toBe(paidAt)
    expect(await feePaidEvents(code)).toBe(1)
    expect((await callbacks(reference)).map((c) => c.outcome)).toEqual([
      'applied_succeeded',
      'duplicate',
      'out_of_order',
    ])
  })

  it('refuses forged, replayed and tampered notices with a 4xx, logs them, and changes nothing', async () => {
    const paidCode = await submitDossier()
    const visitor = await citizen()
    const paid = await openGateway(visitor, paidCode)
    const { params: genuine } = await choose(visitor, paid.form, 'succeeded')
    await expect.poll(async () => (await dossier(paidCode)).feePaidOnline, poll).toBe(true)

    const code = await submitDossier()
    const { reference } = await openGateway(visitor, code)
    const claim = { ...genuine, vnp_TxnRef: reference }

    // Signed with another secret.
    const forged = sign(claim, 'not-the-secret-not-the-secret-not-the-secret')
    expect(await sendCallback(forged)).toEqual({
      status: 400,
      body: { RspCode: '97', Message: 'Invalid signature' },
    })
    // Another payment's genuine notice, pointed at this one.
    expect((await sendCallback(claim)).status).toBe(400)
    // This payment's fields with a smaller amount: unsigned, then re-signed by someone holding the secret.
    const tampered = { ...claim, vnp_Amount: '100000' }
    expect((await sendCallback(tampered)).status).toBe(400)
    expect(await sendCallback(sign(tampered, secret))).toEqual({
      status: 400,
      body: { RspCode: '04', Message: 'Invalid amount' },
    })
    // A signed notice of a transaction the platform never started.
    expect(await sendCallback(sign({ ...genuine, vnp_TxnRef: `${code}-TT9` }, secret))).toEqual({
      status: 404,
      body: { RspCode: '01', Message: 'Order not found' },
    })

    expect(await payment(reference)).toMatchObject({ status: 'pending', recorded: false })
    expect((await dossier(code)).feePaidAt).toBeNull()
    expect(await feePaidEvents(code)).toBe(0)
    expect(await callbacks(reference)).toEqual([
      { source: 'callback', outcome: 'rejected_bad_signature', signature_ok: false },
      { source: 'callback', outcome: 'rejected_bad_signature', signature_ok: false },
      { source: 'callback', outcome: 'rejected_bad_signature', signature_ok: false },
      { source: 'callback', outcome: 'amount_mismatch', signature_ok: true },
    ])
    expect(await callbacks(`${code}-TT9`)).toEqual([
      { source: 'callback', outcome: 'unknown_reference', signature_ok: true },
    ])
    // The return address is checked too: a forged one shows no success.
    const fakeReturn = await visitor.get(`/payments/return/sandbox?${toQuery(forged)}`)
    expect(fakeReturn.statusCode).toBe(400)
    expect(html(fakeReturn).querySelector('#outcome')!.text).toContain('Không xác nhận được')
  })

  it('retries a notice while the callback endpoint is down and delivers it once when it is back', async () => {
    const code = await submitDossier()
    const visitor = await citizen()
    const { form, reference } = await openGateway(visitor, code)
    gateway.callbacksDown = true
    try {
      const { location } = await choose(visitor, form, 'succeeded')
      await expect
        .poll(async () => (await notice(form.transaction)).ipn_attempts, poll)
        .toBeGreaterThanOrEqual(2)
      expect((await notice(form.transaction)).ipn_last_error).toContain('HTTP 503')
      expect((await dossier(code)).feePaidAt).toBeNull()
      // Meanwhile the citizen is told the truth: the gateway said yes, the platform waits for its word.
      const back = await visitor.get(pathOf(location))
      expect(html(back).querySelector('#outcome')!.text).toContain('đang chờ cổng thanh toán xác nhận')
    } finally {
      gateway.callbacksDown = false
    }
    await expect.poll(async () => (await dossier(code)).feePaidOnline, poll).toBe(true)
    await expect.poll(async () => (await notice(form.transaction)).ipn_acknowledged_at, poll).not.toBeNull()
    expect(await callbacks(reference)).toEqual([
      { source: 'callback', outcome: 'applied_succeeded', signature_ok: true },
    ])
    expect(await feePaidEvents(code)).toBe(1)
  })
})

describe('reconciliation', () => {
  const today = () => new Date(Date.now() + clockOffsetMs + 7 * 3_600_000).toISOString().slice(0, 10)
  /** The day's reconciliation report; the day the payments were made, when the clock has moved on since. */
  const report = async (username: string, day = today()) => {
    const response = await t.app.inject({ url: `/api/v1/payments?day=${day}`, headers: as(username) })
    expect(response.statusCode, response.body).toBe(200)
    return response.json<{
      byStatus: { status: string; count: number; amount: number }[]
      totals: { attempts: number; succeededAmount: number; recordedAmount: number }
      flags: { kind: string; reference: string | null; dossierCode: string | null; detail: string }[]
      payments: { reference: string; status: string }[]
    }>()
  }
  const flagsOf = (r: Awaited<ReturnType<typeof report>>, reference: string) =>
    r.flags.filter((f) => f.reference === reference).map((f) => f.kind)

  it('flags a second successful attempt the dossier did not need, for a refund', async () => {
    const code = await submitDossier()
    const visitor = await citizen()
    // The citizen leaves the first gateway tab open, pays in a second one, then pays in the first too.
    const first = await openGateway(visitor, code)
    const second = await openGateway(visitor, code)
    await choose(visitor, second.form, 'succeeded')
    await expect.poll(async () => (await dossier(code)).feePaidOnline, poll).toBe(true)
    const late = await choose(visitor, first.form, 'succeeded')
    await expect.poll(async () => (await payment(first.reference))?.record_problem, poll).toBe('already_paid')
    expect(await payment(first.reference)).toMatchObject({ status: 'succeeded', recorded: false })
    expect((await dossier(code)).feePaidOnline).toBe(true)
    expect(await feePaidEvents(code)).toBe(1)
    const back = await visitor.get(pathOf(late.location))
    expect(html(back).querySelector('#outcome')!.text).toContain('hoàn lại khoản nộp thừa')

    const officer = await report('motcua.thucphan')
    expect(flagsOf(officer, first.reference)).toEqual(['not_recorded'])
    expect(officer.flags.find((f) => f.reference === first.reference)!.detail).toContain('cần hoàn tiền')
    expect(flagsOf(officer, second.reference)).toEqual([])
  })

  it('flags pending attempts after 15 minutes and settles them by asking the gateway', async () => {
    const code = await submitDossier()
    const visitor = await citizen()
    const opened = await openGateway(visitor, code)
    // Started, but the gateway's page never opened.
    const started = await visitor.post(`/dossiers/${code}/pay`, {})
    const unopened = parseQuery(String(started.headers.location).split('?')[1]!)!.vnp_TxnRef!
    expect(flagsOf(await report('motcua.thucphan'), opened.reference)).toEqual([])
    // Twenty minutes later may be the next day in Vietnam (a run at 16:45 UTC): read the day they were made.
    const day = today()

    clockOffsetMs = 20 * 60_000
    try {
      const before = await report('motcua.thucphan', day)
      expect(flagsOf(before, opened.reference)).toEqual(['pending_too_long'])
      expect(flagsOf(before, unopened)).toEqual(['pending_too_long'])
      const rechecked = await t.app.inject({
        method: 'POST',
        url: '/api/v1/payments/recheck',
        headers: as('motcua.thucphan'),
      })
      expect(rechecked.statusCode, rechecked.body).toBe(200)
      expect(rechecked.json().expired).toBeGreaterThanOrEqual(2)
      expect(await payment(opened.reference)).toMatchObject({ status: 'expired' })
      expect(await payment(unopened)).toMatchObject({ status: 'expired' })
      const after = await report('motcua.thucphan', day)
      expect(flagsOf(after, opened.reference)).toEqual([])
      // The gateway refuses to take a payment it has given up on.
      const late = await visitor.post('/sandbox-gateway/pay', {
        ...opened.form,
        outcome: 'succeeded',
        cardNumber: SANDBOX_TEST_CARD,
      })
      expect(late.statusCode).toBe(410)
    } finally {
      clockOffsetMs = 0
    }
  })

  it('finds by status query a success whose notice never arrived, and records it', async () => {
    const code = await submitDossier()
    const visitor = await citizen()
    const { form, reference } = await openGateway(visitor, code)
    gateway.callbacksDown = true
    try {
      await choose(visitor, form, 'succeeded')
      await expect
        .poll(async () => (await notice(form.transaction)).ipn_attempts, poll)
        .toBeGreaterThanOrEqual(1)
      expect((await dossier(code)).feePaidAt).toBeNull()
      const page = new Visitor(t.app)
      await page.login('motcua.thucphan')
      await page.get('/admin/payments')
      const rechecked = await page.post('/admin/payments/recheck', {})
      expect(rechecked.statusCode).toBe(303)
      const shown = await page.get(String(rechecked.headers.location))
      expect(html(shown).querySelector('.notice')!.text).toMatch(/\d+ thành công/)
      expect((await dossier(code)).feePaidOnline).toBe(true)
      expect(await payment(reference)).toMatchObject({ status: 'succeeded', recorded: true })
    } finally {
      gateway.callbacksDown = false
    }
    // The notice still arrives later, and changes nothing.
    await expect.poll(async () => (await notice(form.transaction)).ipn_acknowledged_at, poll).not.toBeNull()
    expect((await callbacks(reference)).map((c) => `${c.source}:${c.outcome}`)).toEqual([
      'status_query:applied_succeeded',
      'callback:duplicate',
    ])
    expect(await feePaidEvents(code)).toBe(1)
  })

  it('shows officers their units’ figures and flags, administrators all, and nobody else anything', async () => {
    const officer = await report('motcua.thucphan')
    const admin = await report('quantri')
    const kinds = (r: typeof officer) => new Set(r.flags.map((f) => f.kind))
    expect(kinds(officer)).toEqual(new Set(['not_recorded', 'bad_signature', 'amount_differs']))
    // A notice naming no payment of any unit is the administrators' to see.
    expect(kinds(admin)).toEqual(
      new Set(['not_recorded', 'bad_signature', 'amount_differs', 'unknown_reference']),
    )
    const succeeded = officer.byStatus.find((s) => s.status === 'succeeded')!
    expect(succeeded.amount).toBe(succeeded.count * FEE)
    expect(officer.totals.succeededAmount - officer.totals.recordedAmount).toBe(FEE)
    expect(officer.byStatus.reduce((n, s) => n + s.count, 0)).toBe(officer.totals.attempts)

    const page = new Visitor(t.app)
    await page.login('motcua.thucphan')
    const shown = await page.get(`/admin/payments?day=${today()}`)
    expect(shown.statusCode).toBe(200)
    const row = html(shown).querySelector('#by-status tr[data-status="succeeded"]')!
    expect(row.querySelectorAll('td').map((td) => td.text)).toEqual([
      'Thành công',
      String(succeeded.count),
      `${succeeded.amount.toLocaleString('vi-VN')} đồng`,
    ])
    expect(html(shown).querySelectorAll('#flags tr[data-flag]')).toHaveLength(officer.flags.length)

    expect((await t.app.inject({ url: '/api/v1/payments', headers: as('congdan') })).statusCode).toBe(403)
    expect((await t.app.inject({ url: '/api/v1/payments', headers: as('qt.sokhcn') })).statusCode).toBe(403)
    expect(
      (await t.app.inject({ url: '/api/v1/payments?day=27-11-2026', headers: as('quantri') })).statusCode,
    ).toBe(422)
  })
})

describe('electronic receipt', () => {
  it('is an A5 PDF in Vietnamese, signed by the dossier’s unit, for the applicant and the unit’s officers', async () => {
    const code = await submitDossier()
    const visitor = await citizen()
    expect((await visitor.get(`/dossiers/${code}/pay/receipt`)).statusCode).toBe(404)
    const { form } = await openGateway(visitor, code)
    await choose(visitor, form, 'succeeded')
    await expect.poll(async () => (await dossier(code)).feePaidOnline, poll).toBe(true)

    const response = await visitor.get(`/dossiers/${code}/pay/receipt`)
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toBe('application/pdf')
    const receipt = response.rawPayload
    const caPem = readFileSync(join(t.config.signingDir, 'test-ca.pem'), 'utf8')
    const checked = verifyPdf(receipt, [caPem])
    expect(checked.signatures).toHaveLength(1)
    expect(checked.signatures[0]).toMatchObject({
      valid: true,
      intact: true,
      coversWholeDocument: true,
      trusted: true,
    })
    expect(checked.signatures[0]!.signerName).toBe('Ủy ban nhân dân phường Thục Phán')

    const officer = new Visitor(t.app)
    await officer.login('motcua.thucphan')
    expect((await officer.get(`/dossiers/${code}/pay/receipt`)).statusCode).toBe(200)

    if (!skipWithoutPoppler) {
      const text = pdfText(receipt).replace(/\s+/g, ' ')
      for (const expected of [
        'BIÊN LAI THU PHÍ, LỆ PHÍ',
        `Mã hồ sơ: ${code}`,
        'Họ tên người nộp: Nguyễn Văn An',
        'Số tiền: 15.000 đồng',
        'Số tiền bằng chữ: Mười lăm nghìn đồng',
        `Mã giao dịch: ${code}-TT1`,
        'Cấp Giấy xác nhận tình trạng hôn nhân',
      ])
        expect(text).toContain(expected)
      const report = pdfsig(receipt)
      expect(report).toContain('Signature Validation: Signature is Valid.')
      expect(report).toContain('Total document signed')
    }
  })
})
