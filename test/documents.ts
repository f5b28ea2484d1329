// Fixtures shared by the official-documents tests (src/modules/documents/*.test.ts and the browser journeys):
// the seed's people and units by name, the API called as one of them, an incoming document registered with its
// files, an outgoing document taken through approval to issue, and an edXML header. Not part of the application
// (it lives here, not in src/, because the build compiles everything in src/ that is not a test).
import { sql } from 'kysely'
import { expect } from 'vitest'
import { edxmlDocumentId, emptyOrgan, type EdxmlPackage } from '../src/modules/documents/edxml.js'
import { apiToken, multipartBody, type TestApp } from './app.js'

/** Agency codes (QCVN 102:2016): two seed units, and the Government Office, an agency outside the platform. */
export const AGENCY = {
  skhcn: '000.13.00.H14',
  ward: '001.90.00.H14',
  vpcp: '000.00.00.G22',
} as const

/** The clerk, the leader and the specialist of Sở KH&CN and of the Thục Phán ward (demo accounts of the seed). */
export const OFFICIALS = [
  'vanthu.sokhcn',
  'lanhdao.sokhcn',
  'chuyenvien.sokhcn',
  'vanthu.thucphan',
  'lanhdao.thucphan',
  'chuyenvien.thucphan',
] as const

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE'
type File = { name: string; content: Buffer }

/**
 * The seed's people and units for one test file, and the API called as one of them. `app` is read at each
 * call, so the fixture is made at the top of the file, before `beforeAll` builds the app.
 */
export function documentsFixture(app: () => TestApp) {
  const tokens: Record<string, string> = {}
  const users: Record<string, string> = {}
  const units: Record<string, string> = {}

  const as = (username: string) => ({ authorization: `Bearer ${tokens[username]}` })
  const api = (username: string, method: Method, url: string, payload?: unknown) =>
    app().app.inject({ method, url: `/api/v1${url}`, headers: as(username), payload: payload as object })

  /** Reads the ids of the seed's people (by username) and units (by key) and gets a token for each of `usernames`. */
  async function signIn(usernames: readonly string[]) {
    const { db } = app().database
    for (const row of (
      await sql<{ id: string; username: string }>`select id, username from users`.execute(db)
    ).rows)
      users[row.username] = row.id
    for (const row of (
      await sql<{ id: string; key: string }>`select id, key from org_units where key is not null`.execute(db)
    ).rows)
      units[row.key] = row.id
    for (const username of usernames) tokens[username] = await apiToken(app(), username)
  }

  /** Attaches files to an incoming document through the API (multipart field `files`); the raw answer. */
  function addFiles(username: string, documentId: string, files: readonly File[]) {
    const { payload, contentType } = multipartBody(
      {},
      files.map((f) => ({ field: 'files', name: f.name, content: f.content })),
    )
    return app().app.inject({
      method: 'POST',
      url: `/api/v1/documents/${documentId}/files`,
      payload,
      headers: { ...as(username), 'content-type': contentType },
    })
  }

  /** Registers an incoming document through the API, with its files if any; returns its id. */
  async function registerIncoming(
    username: string,
    body: Record<string, unknown>,
    files: readonly File[] = [],
  ) {
    const created = await api(username, 'POST', '/documents', body)
    expect(created.statusCode, created.body).toBe(201)
    const id = created.json().id as string
    if (files.length > 0) {
      const added = await addFiles(username, id, files)
      expect(added.statusCode, added.body).toBe(201)
    }
    return id
  }

  /** An outgoing draft with its PDF (multipart field `file`), made through the API by `drafter`; returns its id. */
  async function draftOutgoing(
    body: Record<string, unknown>,
    pdf: Buffer,
    { drafter = 'chuyenvien.sokhcn', fileName = 'du-thao.pdf' } = {},
  ) {
    const created = await api(drafter, 'POST', '/documents/outgoing', body)
    expect(created.statusCode, created.body).toBe(201)
    const id = created.json().id as string
    const { payload, contentType } = multipartBody({}, [{ field: 'file', name: fileName, content: pdf }])
    const upload = await app().app.inject({
      method: 'POST',
      url: `/api/v1/documents/outgoing/${id}/file`,
      payload,
      headers: { ...as(drafter), 'content-type': contentType },
    })
    expect(upload.statusCode, upload.body).toBe(201)
    return id
  }

  /** The draft submitted to one leader, who approves it for issue (with the signer's position when given). */
  async function approveOutgoing(
    id: string,
    {
      drafter = 'chuyenvien.sokhcn',
      leader = 'lanhdao.sokhcn',
      signerPosition,
    }: { drafter?: string; leader?: string; signerPosition?: string } = {},
  ) {
    const submitted = await api(drafter, 'POST', `/documents/outgoing/${id}/submit`, {
      chain: [users[leader]],
    })
    expect(submitted.statusCode, submitted.body).toBe(200)
    const approved = await api(leader, 'POST', `/documents/outgoing/${id}/step`, {
      action: 'approve',
      ...(signerPosition === undefined ? {} : { signerPosition }),
    })
    expect(approved.statusCode, approved.body).toBe(200)
  }

  /** Numbered, signed and issued by the unit's clerk; the API's answer. */
  async function issueOutgoing(id: string, clerk = 'vanthu.sokhcn') {
    const issued = await api(clerk, 'POST', `/documents/outgoing/${id}/issue`)
    expect(issued.statusCode, issued.body).toBe(200)
    return issued.json()
  }

  return {
    tokens,
    users,
    units,
    as,
    api,
    signIn,
    addFiles,
    registerIncoming,
    draftOutgoing,
    approveOutgoing,
    issueOutgoing,
  }
}

/**
 * An edXML header: a công văn of the Government Office to the Thục Phán ward with the optional fields empty,
 * plus overrides. The DocumentId follows From, the date and the code unless one is given.
 */
export function edxmlHeader(overrides: Partial<EdxmlPackage['document']> = {}): EdxmlPackage['document'] {
  const header: EdxmlPackage['document'] = {
    from: emptyOrgan(AGENCY.vpcp, 'Văn phòng Chính phủ'),
    to: [emptyOrgan(AGENCY.ward, 'UBND phường Thục Phán')],
    codeNumber: '7816',
    codeNotation: 'VPCP-TTĐT',
    place: 'Hà Nội',
    promulgationDate: '2026-11-20',
    type: { code: 18, name: 'Công văn' },
    subject: 'V/v triển khai Đề án 06',
    content: '',
    signer: { competence: '', position: '', fullName: '' },
    dueDate: null,
    toPlaces: [],
    priority: 0,
    sphereOfPromulgation: '',
    typerNotation: '',
    promulgationAmount: null,
    pageAmount: null,
    appendixes: [],
    responseFor: [],
    steeringType: 0,
    documentId: '',
    ...overrides,
  }
  return {
    ...header,
    documentId:
      overrides.documentId ??
      edxmlDocumentId(header.from.organId, header.promulgationDate, header.codeNumber, header.codeNotation),
  }
}

/** A PDF attachment of an edXML package. */
export const pdfAttachment = (bytes: Buffer, name = 'cv.pdf', contentId = 'c1') => ({
  contentId,
  name,
  contentType: 'application/pdf',
  description: '',
  bytes,
})
