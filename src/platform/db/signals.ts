import { sql, type Kysely } from 'kysely'
import pg from 'pg'
import type { PGlite } from '@electric-sql/pglite'

/**
 * Signals between the platform's processes through PostgreSQL's LISTEN/NOTIFY: a process that changes something
 * other processes keep in memory (a revoked token, say) sends a signal in the same transaction; PostgreSQL
 * delivers it to every listening process only when that transaction commits, and never when it rolls back.
 *
 * A signal may be missed while a listener's connection is down. The listener is then called with `undefined`
 * once it is back, so it can drop whatever it kept rather than trust it.
 */
export type SignalListener = (payload: string | undefined) => void

export type Signals = {
  /** Calls `listener` with each payload sent on `channel` from now on; the result stops listening. */
  listen(channel: string, listener: SignalListener): Promise<() => Promise<void>>
  close(): Promise<void>
}

const CHANNEL = /^[a-z][a-z0-9_]{0,62}$/

function checkChannel(channel: string) {
  if (!CHANNEL.test(channel)) throw new Error(`Invalid signal channel name: ${channel}`)
}

/** The statement that sends `payload` (at most 7,999 bytes) on `channel`; run it inside the change's transaction. */
export function sqlSignal(channel: string, payload: string) {
  checkChannel(channel)
  return sql`select pg_notify(${channel}, ${payload})`
}

/** Listeners by channel, shared by both engines. */
class Registry {
  private readonly byChannel = new Map<string, Set<SignalListener>>()

  add(channel: string, listener: SignalListener): boolean {
    checkChannel(channel)
    const set = this.byChannel.get(channel)
    if (set) {
      set.add(listener)
      return false
    }
    this.byChannel.set(channel, new Set([listener]))
    return true
  }

  /** True when the channel has no listener left. */
  remove(channel: string, listener: SignalListener): boolean {
    const set = this.byChannel.get(channel)
    if (!set) return false
    set.delete(listener)
    if (set.size > 0) return false
    this.byChannel.delete(channel)
    return true
  }

  channels() {
    return [...this.byChannel.keys()]
  }

  deliver(channel: string, payload: string | undefined) {
    for (const listener of this.byChannel.get(channel) ?? []) {
      try {
        listener(payload)
      } catch (error) {
        process.emitWarning(`Signal listener on ${channel} failed: ${(error as Error).message}`)
      }
    }
  }

  gap() {
    for (const channel of this.channels()) this.deliver(channel, undefined)
  }
}

export const SIGNALS_APPLICATION_NAME = 'cb-signals'

/**
 * PostgreSQL: one connection of its own, outside the pool, that LISTENs on every channel in use. When it is lost
 * (server restart, failover, an administrator ending it) it is opened again with back-off, the channels are
 * listened to again, and every listener hears of the gap.
 */
export function postgresSignals(
  connectionString: string,
  options: { retryMs?: number; maxRetryMs?: number } = {},
): Signals {
  const registry = new Registry()
  const retryMs = options.retryMs ?? 500
  const maxRetryMs = options.maxRetryMs ?? 30_000
  let client: pg.Client | undefined
  let connecting: Promise<pg.Client> | undefined
  let timer: NodeJS.Timeout | undefined
  let failures = 0
  let closed = false

  const quoted = (channel: string) => `"${channel}"`

  async function open(): Promise<pg.Client> {
    const next = new pg.Client({ connectionString, application_name: SIGNALS_APPLICATION_NAME })
    next.on('notification', (message) => registry.deliver(message.channel, message.payload ?? ''))
    next.on('error', () => lost(next))
    next.on('end', () => lost(next))
    try {
      await next.connect()
      for (const channel of registry.channels()) await next.query(`listen ${quoted(channel)}`)
    } catch (error) {
      next.removeAllListeners('end')
      await next.end().catch(() => {})
      throw error
    }
    if (closed) {
      await next.end().catch(() => {})
      throw new Error('Signals closed')
    }
    client = next
    failures = 0
    return next
  }

  function connection(): Promise<pg.Client> {
    if (client) return Promise.resolve(client)
    connecting ??= open().finally(() => (connecting = undefined))
    return connecting
  }

  function lost(which: pg.Client) {
    if (client !== which) return
    client = undefined
    which.removeAllListeners('end')
    which.end().catch(() => {})
    if (!closed) reconnect()
  }

  function reconnect() {
    if (timer || closed) return
    const delay = Math.min(maxRetryMs, retryMs * 2 ** Math.min(failures, 10))
    timer = setTimeout(() => {
      timer = undefined
      connection().then(
        () => registry.gap(),
        (error: Error) => {
          failures++
          if (!closed) {
            process.emitWarning(`PostgreSQL signal connection failed, retrying: ${error.message}`)
            reconnect()
          }
        },
      )
    }, delay)
    timer.unref()
  }

  return {
    async listen(channel, listener) {
      if (registry.add(channel, listener)) {
        try {
          await (await connection()).query(`listen ${quoted(channel)}`)
        } catch (error) {
          registry.remove(channel, listener)
          throw error
        }
      }
      return async () => {
        if (registry.remove(channel, listener) && client) await client.query(`unlisten ${quoted(channel)}`)
      }
    },
    async close() {
      closed = true
      if (timer) clearTimeout(timer)
      const open = client ?? (await connecting?.catch(() => undefined))
      client = undefined
      if (open) {
        open.removeAllListeners('end')
        await open.end().catch(() => {})
      }
    },
  }
}

/**
 * The embedded engine is one process: a signal sent inside a transaction reaches the listeners when it commits.
 * LISTEN runs through the database's own connection queue, so it never joins another request's transaction.
 */
export function embeddedSignals<T>(pglite: PGlite, db: Kysely<T>): Signals {
  const registry = new Registry()
  const stops = new Map<string, () => Promise<void>>()
  const inTurn = <T>(work: () => Promise<T>) => db.connection().execute(work)
  return {
    async listen(channel, listener) {
      if (registry.add(channel, listener)) {
        const stop = await inTurn(() =>
          pglite.listen(channel, (payload) => registry.deliver(channel, payload)),
        ).catch((error: unknown) => {
          registry.remove(channel, listener)
          throw error
        })
        stops.set(channel, stop)
      }
      return async () => {
        if (!registry.remove(channel, listener)) return
        const stop = stops.get(channel)
        stops.delete(channel)
        if (stop && !pglite.closed) await inTurn(() => stop())
      }
    },
    async close() {
      stops.clear()
    },
  }
}
