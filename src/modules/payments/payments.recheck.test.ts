import type { AddressInfo } from 'node:net'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiToken, createTestApp, requiredDocuments, Visitor, type TestApp } from '../../../test/app.js'
import { samplePdf } from '../../../test/files.js'
import { listAudit } from '../../platform/audit/audit.js'

// 1.004873 (xác nhận tình trạng hôn nhân): 15,000 đồng before intake.
const PROCEDURE = '1.004873'

let t: TestApp
let clockOffsetMs = 0
let token = ''

beforeAll(async () => {
  t = await createTestApp({
    // The timer runs every 200 ms here, instead of every 5 minutes.
    env: { PAYMENT_RECHECK_MS: '200' },
    clock: () => new Date(Date.now() + clockOffsetMs),
  })
  // No PUBLIC_URL: the sandbox gateway is asked at the address the platform listens on.
  await t.app.listen({ port: 0, host: '127.0.0.1' })
  expect((t.app.server.address() as AddressInfo).port).toBeGreaterThan(0)
  await t.app.jobs.start()
  token = await apiToken(t, 'congdan')
})
afterAll(() => t?.close())

async function submitDossier(): Promise<string> {
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
  const documents = await requiredDocuments(t, token, PROCEDURE, await samplePdf())
  const created = await t.app.inject({
    method: 'POST',
    url: '/api/v1/dossiers',
    headers: { authorization: `Bearer ${token}` },
    payload: { procedureCode: PROCEDURE, unitId: wardId, form, documents },
  })
  expect(created.statusCode, created.body).toBe(201)
  return created.json().code as string
}

const paymentsOf = async (code: string) =>
  (
    await sql<{ status: string }>`select status from payments where dossier_code = ${code}`.execute(
      t.database.db,
    )
  ).rows.map((r) => r.status)

describe('the payment re-check timer', () => {
  it('settles an abandoned payment once the payment window has passed, and leaves a young one alone', async () => {
    const code = await submitDossier()
    const visitor = new Visitor(t.app)
    await visitor.login('congdan')
    await visitor.get(`/dossiers/${code}/pay`)
    // The citizen is sent to the gateway and never comes back.
    expect((await visitor.post(`/dossiers/${code}/pay`, {})).statusCode).toBe(303)

    // Several timer runs later, an attempt inside its 15 minutes is still the citizen's to finish.
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    expect(await paymentsOf(code)).toEqual(['pending'])

    clockOffsetMs = 20 * 60_000
    await expect.poll(() => paymentsOf(code), { timeout: 20_000, interval: 100 }).toEqual(['expired'])
    const entries = await listAudit(t.database.db, { action: 'payment.rechecked' })
    expect(entries.some((e) => e.actor_label === 'system')).toBe(true)

    // The dossier still waits for its fee, and the citizen can pay again.
    const page = await visitor.get(`/dossiers/${code}/pay`)
    expect(page.statusCode).toBe(200)
    expect(page.body).toContain('Thanh toán')
  })
})
