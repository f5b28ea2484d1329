import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../platform/config.js'
import { SYSTEM_CONTEXT } from '../../platform/audit/audit.js'
import type { Database } from '../../platform/db/database.js'
import { ValidationError } from '../../platform/http/errors.js'
import { createTestDatabase } from '../../../test/database.js'
import { createAdapterFactory } from './sso.adapter.js'
import { parseClientInput, secretMatches, uriProblem } from './sso.clients.js'
import { runSsoCommand } from './sso.cli.js'
import { createKeyStore, decryptJwk, encryptJwk } from './sso.keys.js'

let database: Database
let now = new Date('2026-03-02T02:00:00Z')
const clock = () => now
const config = loadConfig({
  SECRET_KEY: 'test-secret-key-that-is-long-enough-000',
  PUBLIC_URL: 'https://dvc.caobang.gov.vn',
})
const context = { ...SYSTEM_CONTEXT, actorLabel: 'test' }

beforeAll(async () => {
  database = await createTestDatabase()
})
afterAll(() => database.close())

const fieldsOf = (raw: Record<string, unknown>) => {
  try {
    parseClientInput(raw)
    return {}
  } catch (error) {
    if (error instanceof ValidationError) return error.fields
    throw error
  }
}

describe('application registration', () => {
  it('accepts https redirect URIs, and http only on this machine', () => {
    expect(uriProblem('https://vanban.caobang.gov.vn/callback')).toBeNull()
    expect(uriProblem('http://localhost:8080/cb')).toBeNull()
    expect(uriProblem('http://127.0.0.1/cb')).toBeNull()
    expect(uriProblem('http://vanban.caobang.gov.vn/cb')).toContain('https')
    expect(uriProblem('https://a.vn/cb#x')).toContain('#')
    expect(uriProblem('javascript:alert(1)')).toContain('https')
  })

  it('reports every problem of a registration at once, in Vietnamese', () => {
    const fields = fieldsOf({
      name: '',
      kind: 'authorization_code',
      redirectUris: 'http://evil.example/cb',
      scopes: 'lgsp',
    })
    expect(Object.keys(fields)).toEqual(['name', 'redirectUris', 'scopes'])
    expect(fieldsOf({ name: 'Hệ thống', kind: 'implicit' })).toHaveProperty('kind')
    expect(
      fieldsOf({ name: 'Hệ thống', kind: 'client_credentials', redirectUris: 'https://a.vn/cb' }),
    ).toHaveProperty('redirectUris')
  })

  it('always grants openid to a browser application and defaults systems to the gateway scope', () => {
    const browser = parseClientInput({
      name: 'Văn bản',
      kind: 'authorization_code',
      redirectUris: 'https://a.vn/cb',
    })
    expect(browser.scopes).toEqual(['openid', 'profile', 'email'])
    const system = parseClientInput({ name: 'Một cửa', kind: 'client_credentials' })
    expect(system.scopes).toEqual(['lgsp'])
  })

  it('creates a client from the command line, showing the secret once and storing only its hash', async () => {
    const lines: string[] = []
    const deps = { db: database.db, config, clock }
    const code = await runSsoCommand(
      [
        'client',
        'create',
        '--name',
        'Quản lý văn bản',
        '--grant',
        'authorization_code',
        '--redirect-uri',
        'https://vb.caobang.gov.vn/cb',
        '--first-party',
      ],
      deps,
      context,
      { out: (l) => lines.push(l), err: (l) => lines.push(l) },
    )
    expect(code).toBe(0)
    expect(lines.join('\n')).toContain('issuer:        https://dvc.caobang.gov.vn/oidc')
    const clientId = lines.find((l) => l.startsWith('client_id:'))!.split(/\s+/)[1]!
    const secret = lines.find((l) => l.startsWith('client_secret:'))!.split(/\s+/)[1]!
    const row = (await database.db
      .selectFrom('sso_clients' as never)
      .selectAll()
      .where('client_id' as never, '=', clientId as never)
      .executeTakeFirstOrThrow()) as { secret_hash: string; first_party: boolean }
    expect(row.secret_hash).not.toContain(secret)
    expect(secretMatches(row.secret_hash, secret)).toBe(true)
    expect(secretMatches(row.secret_hash, `${secret}x`)).toBe(false)
    expect(row.first_party).toBe(true)
    expect(
      await runSsoCommand(['client', 'create', '--name', 'X', '--grant', 'password'], deps, context, {
        out: () => {},
        err: () => {},
      }).catch((e: unknown) => e),
    ).toBeInstanceOf(ValidationError)
  })
})

describe('signing keys', () => {
  it('stores private keys encrypted under a key derived from SECRET_KEY', () => {
    const jwk = { kty: 'oct', k: 'c2VjcmV0', kid: 'k1' }
    const stored = encryptJwk(jwk, config.secretKey)
    expect(stored).not.toContain('c2VjcmV0')
    expect(decryptJwk(stored, config.secretKey)).toEqual(jwk)
    expect(() => decryptJwk(stored, 'another-secret-key-that-is-long-enough')).toThrow()
  })

  it('rotates: the new key signs first, the old one stays published until its tokens expired', async () => {
    const keys = createKeyStore({ db: database.db, clock, secretKey: config.secretKey })
    await keys.ensureKeys()
    const before = await keys.loadJwks()
    expect(before.map((k) => k.alg).sort()).toEqual(['ES256', 'RS256'])
    const { added, retired } = await keys.rotate(3600)
    expect(retired.sort()).toEqual(before.map((k) => k.kid!).sort())
    const after = await keys.loadJwks()
    expect(after.slice(0, 2).map((k) => k.kid)).toEqual(expect.arrayContaining(added))
    expect(after).toHaveLength(4)
    now = new Date(now.getTime() + 3601_000)
    expect(await keys.purge()).toBe(2)
    expect((await keys.loadJwks()).map((k) => k.kid).sort()).toEqual([...added].sort())
  })
})

describe('provider adapter on the database', () => {
  it('finds by id and uid, consumes, expires and revokes by grant', async () => {
    const factory = createAdapterFactory(database.db, clock)
    const codes = factory('AuthorizationCode')
    const sessions = factory('Session')
    await codes.upsert('code-1', { grantId: 'g1', accountId: 'u1', kind: 'AuthorizationCode' }, 60)
    await factory('RefreshToken').upsert('rt-1', { grantId: 'g1', kind: 'RefreshToken' }, 3600)
    await factory('RefreshToken').upsert('rt-2', { grantId: 'g2', kind: 'RefreshToken' }, 3600)
    await sessions.upsert('s-1', { uid: 'uid-1', accountId: 'u1', kind: 'Session' }, 3600)
    expect(await codes.find('code-1')).toMatchObject({ grantId: 'g1' })
    expect(await sessions.findByUid('uid-1')).toMatchObject({ accountId: 'u1' })

    await codes.consume('code-1')
    expect((await codes.find('code-1'))?.consumed).toBeTypeOf('number')

    now = new Date(now.getTime() + 61_000)
    expect(await codes.find('code-1')).toBeUndefined()

    await codes.revokeByGrantId('g1')
    expect(await factory('RefreshToken').find('rt-1')).toBeUndefined()
    expect(await factory('RefreshToken').find('rt-2')).toMatchObject({ grantId: 'g2' })
    await sessions.destroy('s-1')
    expect(await sessions.findByUid('uid-1')).toBeUndefined()
  })

  it('reads clients from the register and forgets disabled ones', async () => {
    const clients = createAdapterFactory(database.db, clock)('Client')
    const rows = (await database.db
      .selectFrom('sso_clients' as never)
      .select('client_id' as never)
      .execute()) as {
      client_id: string
    }[]
    const id = rows[0]!.client_id
    expect(await clients.find(id)).toMatchObject({
      client_id: id,
      grant_types: ['authorization_code', 'refresh_token'],
    })
    await runSsoCommand(['client', 'disable', id], { db: database.db, config, clock }, context, {
      out: () => {},
      err: () => {},
    })
    expect(await clients.find(id)).toBeUndefined()
  })
})
