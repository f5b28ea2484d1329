/**
 * Upstream health with a circuit breaker, per service, in this process. After `failures` consecutive failures
 * (network errors, timeouts, 502/503/504 answers) the circuit opens: calls are refused at once for `openMs`, so a
 * struggling provider is not buried under retries. Then one call goes through as a probe (half-open): success
 * closes the circuit, failure opens it again.
 */
export type BreakerSettings = { failures: number; openMs: number }

export type HealthState = 'closed' | 'open' | 'half-open'

export type Health = {
  state: HealthState
  consecutiveFailures: number
  openUntil: number | null
  lastFailureAt: number | null
  lastFailure: string | null
  lastSuccessAt: number | null
  calls: number
  failuresTotal: number
}

export type Admission = 'call' | 'probe' | 'reject'

export function createHealthBoard(settings: BreakerSettings, now: () => number = Date.now) {
  const board = new Map<string, Health & { probing: boolean }>()

  const entry = (serviceId: string) => {
    let health = board.get(serviceId)
    if (!health) {
      health = {
        state: 'closed',
        consecutiveFailures: 0,
        openUntil: null,
        lastFailureAt: null,
        lastFailure: null,
        lastSuccessAt: null,
        calls: 0,
        failuresTotal: 0,
        probing: false,
      }
      board.set(serviceId, health)
    }
    return health
  }

  return {
    /** Whether a call may go to the upstream now. */
    admit(serviceId: string): Admission {
      const health = entry(serviceId)
      if (health.state === 'closed') return 'call'
      if (health.state === 'open') {
        if ((health.openUntil ?? 0) > now()) return 'reject'
        health.state = 'half-open'
        health.probing = false
      }
      if (health.probing) return 'reject'
      health.probing = true
      return 'probe'
    },
    /** Records a good answer; true when it closed a circuit that was open (a probe succeeded). */
    succeeded(serviceId: string): boolean {
      const health = entry(serviceId)
      const closing = health.state !== 'closed'
      health.calls++
      health.state = 'closed'
      health.consecutiveFailures = 0
      health.openUntil = null
      health.probing = false
      health.lastSuccessAt = now()
      return closing
    },
    /** Records a failure; true when it opened the circuit. */
    failed(serviceId: string, reason: string): boolean {
      const health = entry(serviceId)
      const wasOpen = health.state === 'open'
      health.calls++
      health.failuresTotal++
      health.consecutiveFailures++
      health.lastFailureAt = now()
      health.lastFailure = reason
      if (health.state === 'half-open' || health.consecutiveFailures >= settings.failures) {
        health.state = 'open'
        health.openUntil = now() + settings.openMs
      }
      health.probing = false
      return !wasOpen && health.state === 'open'
    },
    /**
     * A circuit another server process opened: this one stops calling the provider until then too (unless it
     * holds it open longer already). A time gone by changes nothing.
     */
    adopt(serviceId: string, until: number, reason: string) {
      const health = entry(serviceId)
      if (until <= now() || (health.state === 'open' && (health.openUntil ?? 0) >= until)) return
      health.state = 'open'
      health.openUntil = until
      health.probing = false
      health.lastFailure = reason
    },
    /** A call that ended without telling anything about the upstream (refused before sending, client gone). */
    released(serviceId: string) {
      const health = entry(serviceId)
      health.probing = false
    },
    get(serviceId: string): Health {
      const { probing: _probing, ...health } = entry(serviceId)
      if (health.state === 'open' && (health.openUntil ?? 0) <= now())
        return { ...health, state: 'half-open' }
      return health
    },
  }
}

export type HealthBoard = ReturnType<typeof createHealthBoard>

/** Calls per client subsystem per minute (a fixed one-minute window per process). */
export function createRateLimiter(now: () => number = Date.now) {
  const windows = new Map<string, { start: number; count: number }>()
  return {
    /** Counts a call; returns the seconds to wait when over the limit, else 0. */
    take(key: string, perMinute: number): number {
      const at = now()
      let window = windows.get(key)
      if (!window || at - window.start >= 60_000) {
        window = { start: at, count: 0 }
        windows.set(key, window)
      }
      if (window.count >= perMinute) return Math.max(1, Math.ceil((window.start + 60_000 - at) / 1000))
      window.count++
      return 0
    },
  }
}
