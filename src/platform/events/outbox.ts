import { sql } from 'kysely'
import type { Queryable } from '../db/database.js'

/**
 * The one typed map of domain events. Modules add their events by declaration merging:
 * `declare module '…/platform/events/outbox.js' { interface DomainEvents { 'dossier.status_changed': {…} } }`.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface DomainEvents {}

/**
 * Writes an event in the caller's transaction, so it exists exactly when the change it reports does.
 * Delivery (national portal synchronisation, dashboards, notifications) is the outbox dispatcher's job
 * (src/platform/jobs): it numbers committed rows and hands them to each consumer in that order.
 */
export async function emitEvent<K extends keyof DomainEvents>(
  tx: Queryable,
  topic: K,
  payload: DomainEvents[K],
): Promise<void> {
  await sql`insert into outbox (topic, payload) values (${topic}, ${JSON.stringify(payload)}::jsonb)`.execute(
    tx,
  )
}
