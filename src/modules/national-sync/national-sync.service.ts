import { sql } from 'kysely'
import type { AuditContext } from '../../platform/audit/audit.js'
import type { Actor } from '../../platform/auth/actor.js'
import { tablesOf } from '../../platform/db/tables.js'
import type { JobsLog } from '../../platform/jobs/index.js'
import type { ModuleDeps } from '../../platform/module.js'
import type { CatalogueService } from '../catalogue/index.js'
import type { OrganisationService } from '../organisation/index.js'
import type { InternalHandler, PubsubService } from '../pubsub/index.js'
import {
  callsFor,
  type DossierStatusEvent,
  type DossierStatusInternal,
  type Envelope,
  type MessageContext,
} from './national-sync.messages.js'
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

/** Thrown when the portal refuses or cannot be reached; pub/sub retries the event with back-off. */
export class PortalCallError extends Error {}

export function createNationalSyncService(deps: NationalSyncDeps) {
  const { db, config, pubsub, organisation, catalogue } = deps
  const portal = config.nationalPortal

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

  async function send(code: string, envelope: Envelope, signal: AbortSignal): Promise<void> {
    const started = Date.now()
    let status: number | null = null
    let error: string | null = null
    try {
      const response = await fetch(portal!.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          authorization: `Bearer ${portal!.token}`,
          'user-agent': 'CaoBang-LGSP-NationalSync/1',
        },
        body: JSON.stringify(envelope),
        redirect: 'manual',
        signal: AbortSignal.any([signal, AbortSignal.timeout(config.pubsubTimeoutMs)]),
      })
      status = response.status
      await response.body?.cancel().catch(() => undefined)
      if (status < 200 || status > 299) error = `Cổng DVC quốc gia trả về HTTP ${status}`
    } catch (failure) {
      const e = failure as Error & { cause?: { code?: string } }
      error = `Không gọi được Cổng DVC quốc gia: ${e.message}${e.cause?.code ? ` (${e.cause.code})` : ''}`
    }
    await t(db)
      .insertInto('national_sync_calls')
      .values({
        dossier_code: code,
        service: envelope.service,
        http_status: status,
        ok: error === null,
        error,
        duration_ms: Date.now() - started,
      })
      .execute()
    if (error !== null) throw new PortalCallError(error)
  }

  /** One dossier event: the calls it needs, in order; any failure fails the event so pub/sub retries it. */
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
