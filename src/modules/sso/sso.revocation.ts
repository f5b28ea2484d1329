import { sql, type RawBuilder } from 'kysely'
import type { Queryable } from '../../platform/db/database.js'

/**
 * The signal the provider sends when access tokens of a client are revoked (payload: the client id), so that
 * every process holding checked tokens in memory (the LGSP gateway) forgets them at once.
 */
export const TOKENS_REVOKED = 'sso_tokens_revoked'

/** The stored models a resource server accepts as bearer tokens. */
const ACCESS_MODELS = ['AccessToken', 'ClientCredentials']

/**
 * Deletes the provider's records that `where` selects and, in the same statement (so on the same commit),
 * signals each client that lost an access token.
 */
export async function deleteAndSignal(q: Queryable, where: RawBuilder<boolean>): Promise<void> {
  await sql`
    with gone as (
      delete from sso_payloads where ${where}
      returning model, payload->>'clientId' as client_id
    )
    select pg_notify(${TOKENS_REVOKED}, client_id)
    from (
      select distinct client_id from gone
      where model in (${sql.join(ACCESS_MODELS)}) and client_id is not null
    ) revoked`.execute(q)
}
