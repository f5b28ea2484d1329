import { sql } from 'kysely'
import type { AuditContext } from '../../platform/audit/audit.js'
import type { Actor } from '../../platform/auth/actor.js'
import { tablesOf } from '../../platform/db/tables.js'
import type { JobsLog } from '../../platform/jobs/index.js'
import type { ModuleDeps } from '../../platform/module.js'
import type { CatalogueService } from '../catalogue/index.js'
import type { OrganisationService } from '../organisation/index.js'
import { RefusedEventError, type InternalHandler, type PubsubService } from '../pubsub/index.js'
import {
  callsFor,
  interpretAnswer,
  type DossierStatusEvent,
  type DossierStatusInternal,
  type Envelope,
  type MessageContext,
  type PortalAnswer,
} from './national-sync.messages.js'
import {
  clientCredentials,
  fixedToken,
  PortalTokenError,
  readText,
  type PortalAuth,
} from './national-sync.token.js'
import type { NationalSyncTables } from './national-sync.tables.js'

const t = tablesOf<NationalSyncTables>

/** Name of the internal pub/sub subscription (client id `internal:national-sync`). */
export const SUBSCRIBER = 'national-sync'
export const TOPIC = 'dossier.status_changed'

export type NationalSyncDeps = ModuleDeps & {
  pubsub: PubsubService
  organisation: Pick<OrganisationService, 'findUnitsByIds'>
  catalogue: Pick<CatalogueService, 'getInForce'>
  log: JobsLog
}

/**
 * Thrown when the portal cannot be reached, gives no token, or answers that it cannot take the call now (or in a
 * way we cannot read); pub/sub retries the event with back-off. A refusal of the payload is a RefusedEventError.
 */
export class PortalCallError extends Error {}

export function createNationalSyncService(deps: NationalSyncDeps) {
  const { db, config, pubsub, organisation, catalogue } = deps
  const portal = config.nationalPortal
  const auth: PortalAuth = portal?.oauth2
    ? clientCredentials(portal.oauth2, { clock: deps.clock, timeoutMs: config.pubsubTimeoutMs })
    : fixedToken(portal?.token ?? '')

  async function context(event: DossierStatusEvent): Promise<MessageContext> {
    const [unit] = await organisation.findUnitsByIds([event.unitId])
    const codes = portal?.unitCodes ?? {}
    const unitCode =
      (unit?.agencyCode && codes[unit.agencyCode]) ||
      (unit?.key && codes[unit.key]) ||
      unit?.agencyCode ||
      event.unitCode ||
      ''
    const fieldName = await catalogue
      .getInForce(event.procedureCode)
      .then((p) => p.field)
      .catch(() => '')
    return { unitCode, unitName: unit?.name ?? '', fieldName }
  }

  type Outcome = {
    status: number | null
    answer?: PortalAnswer
    /** A failure before any answer: no connection, no token. */
    error?: string
  }

  async function post(envelope: Envelope, bearer: string, signal: AbortSignal): Promise<Outcome> {
    const response = await fetch(portal!.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        accept: 'application/json',
        authorization: `Bearer ${bearer}`,
        'user-agent': 'CaoBang-LGSP-NationalSync/1',
      },
      body: JSON.stringify(envelope),
      redirect: 'manual',
      signal: AbortSignal.any([signal, AbortSignal.timeout(config.pubsubTimeoutMs)]),
    })
    const body = await readText(response)
    return {
      status: response.status,
      answer: interpretAnswer(envelope.service, response.status, body, portal!.retryCodes),
    }
  }

  async function record(code: string, envelope: Envelope, outcome: Outcome, started: number) {
    const failed = outcome.error ?? (outcome.answer?.ok === false ? outcome.answer.message : null)
    await t(db)
      .insertInto('national_sync_calls')
      .values({
        dossier_code: code,
        service: envelope.service,
        http_status: outcome.status,
        ok: failed === null,
        error: failed,
        portal_code: outcome.answer?.code ?? null,
        portal_message: outcome.answer?.ok ? outcome.answer.message : null,
        duration_ms: Date.now() - started,
      })
      .execute()
  }

  /**
   * One call, recorded. The portal's answer decides: success; a refusal (dead letter at once, with the portal's
   * message); anything else fails the event so pub/sub retries it. A 401 with an OAuth2 token gets one more try
   * with a new token.
   */
  async function send(code: string, envelope: Envelope, signal: AbortSignal): Promise<void> {
    for (let renewed = false; ; renewed = true) {
      const started = Date.now()
      let bearer: string | undefined
      let outcome: Outcome
      try {
        bearer = await auth.bearer()
        outcome = await post(envelope, bearer, signal)
      } catch (failure) {
        const e = failure as Error & { cause?: { code?: string } }
        outcome = {
          status: null,
          error:
            failure instanceof PortalTokenError
              ? e.message
              : `Không gọi được Cổng DVC quốc gia: ${e.message}${e.cause?.code ? ` (${e.cause.code})` : ''}`,
        }
      }
      if (outcome.status === 401 && auth.renewable && !renewed) {
        outcome.error = 'Cổng DVC quốc gia không nhận token (HTTP 401): lấy token mới và gửi lại'
        await record(code, envelope, outcome, started)
        auth.invalidate(bearer!)
        continue
      }
      await record(code, envelope, outcome, started)
      if (outcome.error !== undefined) throw new PortalCallError(outcome.error)
      const answer = outcome.answer!
      if (answer.ok) return
      if (answer.retry) throw new PortalCallError(answer.message)
      throw new RefusedEventError(answer.message)
    }
  }

  /**
   * One dossier event: the calls it needs, in order. A failure fails the event: pub/sub retries it with back-off,
   * or dead-letters it at once when the portal refused the payload (RefusedEventError).
   */
  const handle: InternalHandler = async (event, delivery) => {
    const payload = event.payload as DossierStatusEvent
    const internal = (event.internal ?? {}) as DossierStatusInternal
    const known = await t(db)
      .selectFrom('national_sync_dossiers')
      .selectAll()
      .where('code', '=', payload.code)
      .executeTakeFirst()
    // A redelivery of an event already synchronised (pub/sub is at least once).
    if (known && Number(known.last_position) >= event.position) return
    const calls = callsFor(payload, internal, await context(payload), known !== undefined)
    for (const call of calls) await send(payload.code, call, delivery.signal)
    await t(db)
      .insertInto('national_sync_dossiers')
      .values({
        code: payload.code,
        last_status: payload.nationalStatus,
        last_position: event.position,
        calls: calls.length,
      })
      .onConflict((oc) =>
        oc.column('code').doUpdateSet({
          last_status: payload.nationalStatus,
          last_position: event.position,
          last_synced_at: new Date(),
          calls: sql`national_sync_dossiers.calls + ${calls.length}`,
        }),
      )
      .execute()
  }

  if (portal) pubsub.subscribeInternal(SUBSCRIBER, TOPIC, handle)

  /** What the status page shows: configuration, queue, failures, recent calls. */
  async function status() {
    const subscription = portal ? await pubsub.findInternalSubscription(SUBSCRIBER, TOPIC) : undefined
    const detail = subscription ? await pubsub.subscriptionDetail(subscription.id) : undefined
    const calls = await t(db)
      .selectFrom('national_sync_calls')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(50)
      .execute()
    const synced = await t(db)
      .selectFrom('national_sync_dossiers')
      .select(sql<number>`count(*)::int`.as('n'))
      .executeTakeFirstOrThrow()
    return {
      enabled: portal !== undefined,
      url: portal?.url ?? null,
      /** How the platform gets its token: never the token or the secret themselves. */
      auth: portal?.oauth2
        ? { kind: 'oauth2' as const, tokenUrl: portal.oauth2.tokenUrl, clientId: portal.oauth2.clientId }
        : { kind: 'token' as const },
      retryCodes: portal?.retryCodes ?? [],
      unitCodes: portal?.unitCodes ?? {},
      subscriptionId: subscription?.id ?? null,
      counts: detail?.subscription.counts ?? null,
      lastFailure: detail?.lastFailure ?? null,
      dead: detail?.dead ?? [],
      open: detail?.open ?? [],
      dossiers: synced.n,
      calls,
    }
  }

  async function redrive(actor: Actor | null, ctx: AuditContext, deliveryIds?: number[]) {
    const subscription = portal ? await pubsub.findInternalSubscription(SUBSCRIBER, TOPIC) : undefined
    if (!subscription) return 0
    return pubsub.redrive(actor, ctx, subscription.id, deliveryIds)
  }

  return { handle, status, redrive }
}

export type NationalSyncService = ReturnType<typeof createNationalSyncService>
