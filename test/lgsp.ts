// Helpers shared by the pub/sub and national synchronisation tests: real HTTP receivers, system tokens from the
// platform's own SSO, and a dossier submitted through the API. Not part of the application.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { parse } from 'node-html-parser'
import { sql } from 'kysely'
import { apiToken, requiredDocuments, Visitor, type TestApp } from './app.js'
import { samplePdf } from './files.js'

export type Received = { url: string; headers: IncomingHttpHeaders; body: string; status: number }

/**
 * A webhook receiver on 127.0.0.1: records every request with the status it answered. `answer` decides the
 * status from the request (default 200).
 */
export async function startReceiver(answer: (request: Received, index: number) => number = () => 200) {
  const received: Received[] = []
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const entry: Received = {
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        status: 0,
      }
      entry.status = receiver.answer(entry, received.length)
      received.push(entry)
      response.writeHead(entry.status, { 'content-type': 'application/json' }).end('{"ok":true}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const receiver = {
    answer,
    received,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** Requests answered with 2xx: what the receiver has accepted. */
    accepted: () => received.filter((r) => r.status >= 200 && r.status < 300),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
  return receiver
}

/** Registers a system application with the SSO (as an administrator would) and gets it a client-credential token. */
export async function systemClient(t: TestApp, admin: Visitor, name: string, scopes = 'lgsp') {
  await admin.get('/admin/sso/clients/new')
  const created = await admin.post('/admin/sso/clients/new', { name, kind: 'client_credentials', scopes })
  if (created.statusCode !== 200) throw new Error(`client not created: ${created.statusCode}`)
  const page = parse(created.body)
  const id = page.querySelector('#client-id')!.text.trim()
  const secret = page.querySelector('#client-secret')!.text.trim()
  const token = await t.app.inject({
    method: 'POST',
    url: '/oidc/token',
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    payload: `grant_type=client_credentials&scope=${encodeURIComponent(scopes)}`,
  })
  if (token.statusCode !== 200) throw new Error(`no token: ${token.statusCode} ${token.body}`)
  return { id, secret, token: token.json<{ access_token: string }>().access_token }
}

export const PROCEDURE = '1.004873'

/** An online application of the demo citizen to the Thục Phán ward, through the API; returns the dossier code. */
export async function submitDossier(t: TestApp): Promise<string> {
  const token = await apiToken(t, 'congdan')
  const wardId = (
    await sql<{ id: string }>`select id from org_units where key = 'phuong-thuc-phan'`.execute(t.database.db)
  ).rows[0]!.id
  const procedure = (await t.app.inject({ url: `/api/v1/procedures/${PROCEDURE}` })).json<{
    form: { name: string; options?: string[] }[]
  }>()
  const created = await t.app.inject({
    method: 'POST',
    url: '/api/v1/dossiers',
    headers: { authorization: `Bearer ${token}` },
    payload: {
      procedureCode: PROCEDURE,
      unitId: wardId,
      form: {
        applicantFullName: 'Nông Thị Hoa',
        applicantIdNumber: '004190000123',
        applicantBirthDate: '1992-03-04',
        ...Object.fromEntries(
          procedure.form.filter((f) => f.options?.length).map((f) => [f.name, f.options![0]]),
        ),
      },
      documents: await requiredDocuments(t, token, PROCEDURE, await samplePdf()),
    },
  })
  if (created.statusCode !== 201) throw new Error(`dossier not submitted: ${created.body}`)
  return created.json<{ code: string }>().code
}

/** An officer's action on a dossier through the API. */
export async function act(t: TestApp, username: string, code: string, body: Record<string, unknown>) {
  const response = await t.app.inject({
    method: 'POST',
    url: `/api/v1/dossiers/${code}/actions`,
    headers: { authorization: `Bearer ${await apiToken(t, username)}` },
    payload: body,
  })
  if (response.statusCode !== 200) throw new Error(`action failed: ${response.body}`)
  return response.json<{ status: string }>()
}

/** The fee paid in cash at the one-stop desk (intake waits for it). */
export async function payCash(t: TestApp, code: string) {
  const response = await t.app.inject({
    method: 'POST',
    url: `/api/v1/dossiers/${code}/cash-payment`,
    headers: { authorization: `Bearer ${await apiToken(t, 'motcua.thucphan')}` },
    payload: { reference: 'BL 01' },
  })
  if (response.statusCode !== 200) throw new Error(`payment not recorded: ${response.body}`)
}
