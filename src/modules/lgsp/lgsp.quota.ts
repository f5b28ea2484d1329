import { sql } from 'kysely'
import type { Db } from '../../platform/db/database.js'
import { createRateLimiter } from './lgsp.health.js'

const MINUTE = 60_000

/** How many calls a process leases at once: a fiftieth of the limit, so a lease costs one statement per 2%. */
export const leaseSize = (perMinute: number) => Math.max(1, Math.ceil(perMinute / 50))

type Allowance = {
  /** The minute (ms since the epoch, aligned) the allowance is for. */
  window: number
  /** Calls leased to this process and not used yet. */
  left: number
  /** The minute's quota is used up, by this process or others: refuse until the next one. */
  exhausted: boolean
  /** The database did not answer a lease this minute: the process counts on its own until the next one. */
  failed: boolean
  /** A lease on its way; callers that run out meanwhile wait for it rather than ask again. */
  pending?: Promise<void>
}

/**
 * Per-client rate limits shared by every server process. A client system's quota per clock minute is counted in
 * `lgsp_rate_usage`; each process leases calls from it a fiftieth at a time (one statement per lease, none per
 * call) and counts them down in memory. The total leased never passes the limit, so several processes together
 * allow at most the limit; calls a process leased but did not use are lost for that minute (at most one lease
 * per process), so a client may be refused slightly before its limit when its calls spread over many processes.
 *
 * Should the database not answer, the process falls back to counting on its own (the limit per process, as before
 * this was shared) rather than refusing every call or letting them all through; `onError` is told.
 */
export function createSharedRateLimiter(deps: {
  db: Db
  now: () => number
  onError: (error: unknown) => void
}) {
  const { db, now } = deps
  const allowances = new Map<string, Allowance>()
  const local = createRateLimiter(now)

  const wait = (window: number, at: number) => Math.max(1, Math.ceil((window + MINUTE - at) / 1000))

  async function lease(key: string, allowance: Allowance, perMinute: number) {
    const size = leaseSize(perMinute)
    const windowStart = new Date(allowance.window)
    const row = await sql<{ granted: number }>`
      insert into lgsp_rate_usage as u (subsystem_id, window_start, used, granted)
      values (${key}, ${windowStart}, ${Math.min(size, perMinute)}, ${Math.min(size, perMinute)})
      on conflict (subsystem_id, window_start) do update
        set granted = greatest(0, least(${size}, ${perMinute} - u.used)),
            used = greatest(u.used, least(u.used + ${size}, ${perMinute}))
      returning granted`.execute(db)
    const granted = row.rows[0]?.granted ?? 0
    allowance.left += granted
    if (granted === 0) allowance.exhausted = true
  }

  /** Minutes gone by are of no use to anyone: each process clears a client's older rows when its minute turns. */
  function forget(key: string, window: number) {
    sql`delete from lgsp_rate_usage where subsystem_id = ${key} and window_start < ${new Date(window)}`
      .execute(db)
      .catch(deps.onError)
  }

  /**
   * Counts a call of client `key` (a subsystem id); gives the seconds to wait when over the limit, else 0.
   * Synchronous while this process holds leased calls; a lease costs one round trip to the database.
   */
  function take(key: string, perMinute: number): number | Promise<number> {
    const at = now()
    const window = Math.floor(at / MINUTE) * MINUTE
    let allowance = allowances.get(key)
    if (!allowance || allowance.window !== window) {
      if (allowance) forget(key, window)
      allowance = { window, left: 0, exhausted: false, failed: false }
      allowances.set(key, allowance)
    }
    if (allowance.left > 0) {
      allowance.left--
      return 0
    }
    if (allowance.exhausted) return wait(window, at)
    // The database did not answer: this process's own count decides.
    if (allowance.failed) return local.take(key, perMinute)
    const current = allowance
    current.pending ??= lease(key, current, perMinute)
      .catch((error: unknown) => {
        deps.onError(error)
        current.failed = true
      })
      .finally(() => (current.pending = undefined))
    // Callers that ran out while the lease was on its way share it; those it does not cover ask again.
    return current.pending.then(() => take(key, perMinute))
  }

  return { take }
}

export type SharedRateLimiter = ReturnType<typeof createSharedRateLimiter>
