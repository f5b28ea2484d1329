import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import { backoffDelay } from './queue.js'

/** pino-compatible: the app passes `app.log`, tests a silent or recording one. */
export type JobsLog = {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
}

const PROCESS_ID = randomUUID()
let leases = 0

/**
 * Written into locked_by: host and pid tell an operator who holds a job; the process id lets an embedded
 * start release what an earlier process left (only one process can open an embedded data directory).
 */
export function leaseToken(): string {
  return `${hostname()}:${process.pid}:${PROCESS_ID}:${++leases}`
}

/** A LIKE pattern matching the lease tokens of this process. */
export const THIS_PROCESS = `%:${PROCESS_ID}:%`

/**
 * Calls `tick` every `pollMs`, or at once when woken (a handler finished, a slot freed). A database error
 * is logged and the loop waits longer each time, so a database restart does not flood the log.
 */
export class PollLoop {
  private running = false
  private woken = false
  private wakeUp: (() => void) | undefined
  private done: Promise<void> = Promise.resolve()

  constructor(
    private readonly name: string,
    private readonly pollMs: number,
    private readonly log: JobsLog,
    private readonly tick: () => Promise<void>,
  ) {}

  get isRunning(): boolean {
    return this.running
  }

  start(): void {
    if (this.running) return
    this.running = true
    this.done = this.run()
  }

  wake(): void {
    this.woken = true
    this.wakeUp?.()
  }

  /** Stops after the tick in progress; handlers started by ticks are the owner's to wait for. */
  async stop(): Promise<void> {
    this.running = false
    this.wake()
    await this.done
  }

  private async run(): Promise<void> {
    let failures = 0
    while (this.running) {
      try {
        await this.tick()
        failures = 0
      } catch (error) {
        failures++
        this.log.error({ err: error, loop: this.name, failures }, `${this.name}: database error, retrying`)
      }
      if (!this.running) break
      await this.sleep(
        failures === 0 ? this.pollMs : backoffDelay(failures, { baseMs: this.pollMs * 4, maxMs: 30_000 }),
      )
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false
      return Promise.resolve()
    }
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer)
        this.wakeUp = undefined
        this.woken = false
        resolve()
      }
      const timer = setTimeout(finish, ms)
      this.wakeUp = finish
    })
  }
}

/** Thrown into an attempt that runs past its time limit; the attempt's signal is aborted with it. */
export class TimeoutError extends Error {
  constructor(ms: number) {
    super(`Quá thời gian xử lý ${ms} ms (timed out)`)
  }
}

/**
 * Runs `work` with a time limit. On timeout the signal is aborted and the attempt fails, so a hung call
 * (an SMTP server that never answers) frees its slot; work that ignores the signal keeps running unobserved.
 */
export async function withTimeout(
  work: (signal: AbortSignal) => Promise<void>,
  ms: number,
  controller = new AbortController(),
): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      work(controller.signal),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const error = new TimeoutError(ms)
          controller.abort(error)
          reject(error)
        }, ms)
      }),
    ])
  } finally {
    clearTimeout(timer)
  }
}
