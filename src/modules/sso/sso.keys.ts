import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import { exportJWK, generateKeyPair, type JWK } from 'jose'
import type { Clock } from '../../platform/clock.js'
import type { Db, Queryable } from '../../platform/db/database.js'
import { inTransaction } from '../../platform/db/database.js'
import { tablesOf } from '../../platform/db/tables.js'
import { randomToken } from '../../platform/auth/tokens.js'
import { KEY_ALGS, type KeyAlg, type SsoTables } from './sso.tables.js'

const t = (q: Queryable) => tablesOf<SsoTables>(q)

/** The AES-256-GCM key the private signing keys are stored under; changing SECRET_KEY makes them unreadable. */
function storageKey(secretKey: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secretKey, 'cao-bang-platform', 'sso.signing-keys.v1', 32))
}

export function encryptJwk(jwk: JWK, secretKey: string): string {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', storageKey(secretKey), iv)
  const body = Buffer.concat([cipher.update(JSON.stringify(jwk), 'utf8'), cipher.final()])
  return [
    'v1',
    iv.toString('base64url'),
    cipher.getAuthTag().toString('base64url'),
    body.toString('base64url'),
  ].join('.')
}

export function decryptJwk(stored: string, secretKey: string): JWK {
  const [version, iv, tag, body] = stored.split('.')
  if (version !== 'v1' || !iv || !tag || !body) throw new Error('unknown signing key format')
  const decipher = createDecipheriv('aes-256-gcm', storageKey(secretKey), Buffer.from(iv, 'base64url'))
  decipher.setAuthTag(Buffer.from(tag, 'base64url'))
  const text = Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString(
    'utf8',
  )
  return JSON.parse(text) as JWK
}

export type KeyInfo = {
  kid: string
  alg: KeyAlg
  createdAt: Date
  retiredAt: Date | null
  retireUntil: Date | null
}

async function newKey(alg: KeyAlg, secretKey: string) {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true })
  const kid = `${alg.toLowerCase()}-${randomToken(9)}`
  const common = { kid, alg, use: 'sig' }
  return {
    kid,
    alg,
    public_jwk: JSON.stringify({ ...(await exportJWK(publicKey)), ...common }),
    private_jwk: encryptJwk({ ...(await exportJWK(privateKey)), ...common }, secretKey),
  }
}

/**
 * Signing keys in the database: one current key per algorithm (RS256, ES256) signs, retired ones stay
 * published until every token they signed has expired.
 */
export function createKeyStore({ db, clock, secretKey }: { db: Db; clock: Clock; secretKey: string }) {
  /** Creates a current key for each algorithm that has none (first start). */
  async function ensureKeys(): Promise<void> {
    const current = await t(db).selectFrom('sso_keys').select('alg').where('retired_at', 'is', null).execute()
    const missing = KEY_ALGS.filter((alg) => !current.some((k) => k.alg === alg))
    if (missing.length === 0) return
    const keys = await Promise.all(missing.map((alg) => newKey(alg, secretKey)))
    await t(db).insertInto('sso_keys').values(keys).execute()
  }

  /**
   * Adds a new current key per algorithm and retires the previous ones, which stay in JWKS for
   * `keepSeconds` (the longest lifetime of anything they signed).
   */
  async function rotate(keepSeconds: number): Promise<{ added: string[]; retired: string[] }> {
    // Generated before the transaction: embedded PGlite must not wait on crypto with a transaction open.
    const keys = await Promise.all(KEY_ALGS.map((alg) => newKey(alg, secretKey)))
    const now = clock()
    const retired = await inTransaction(db, async (tx) => {
      const old = await t(tx)
        .updateTable('sso_keys')
        .set({ retired_at: now, retire_until: new Date(now.getTime() + keepSeconds * 1000) })
        .where('retired_at', 'is', null)
        .returning('kid')
        .execute()
      await t(tx)
        .insertInto('sso_keys')
        .values(keys.map((k) => ({ ...k, created_at: now })))
        .execute()
      return old.map((k) => k.kid)
    })
    return { added: keys.map((k) => k.kid), retired }
  }

  /** The private keys the provider is built with: current keys first, since the first of an algorithm signs. */
  async function loadJwks(): Promise<JWK[]> {
    const rows = await t(db)
      .selectFrom('sso_keys')
      .select(['kid', 'private_jwk', 'retired_at'])
      .where((eb) => eb.or([eb('retire_until', 'is', null), eb('retire_until', '>', clock())]))
      .orderBy(sql`retired_at is not null`)
      .orderBy('created_at', 'desc')
      .execute()
    return rows.map((row) => decryptJwk(row.private_jwk, secretKey))
  }

  async function list(): Promise<KeyInfo[]> {
    const rows = await t(db).selectFrom('sso_keys').selectAll().orderBy('created_at', 'desc').execute()
    return rows.map((r) => ({
      kid: r.kid,
      alg: r.alg,
      createdAt: r.created_at,
      retiredAt: r.retired_at,
      retireUntil: r.retire_until,
    }))
  }

  /** Deletes keys past their publication: nothing they signed is still valid. */
  async function purge(): Promise<number> {
    const result = await t(db).deleteFrom('sso_keys').where('retire_until', '<', clock()).executeTakeFirst()
    return Number(result.numDeletedRows)
  }

  return { ensureKeys, rotate, loadJwks, list, purge }
}

export type KeyStore = ReturnType<typeof createKeyStore>
