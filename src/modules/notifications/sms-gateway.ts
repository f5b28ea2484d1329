import type { SmsGatewaySettings } from '../../platform/config.js'

/** Sends one SMS; throws when the message was not accepted, so the job queue retries it. */
export type SmsSender = { send(to: string, text: string, signal?: AbortSignal): Promise<void> }

/** Thrown when the SMS gateway does not accept a message (HTTP status other than 2xx). */
export class SmsGatewayError extends Error {
  constructor(
    readonly status: number,
    body: string,
  ) {
    super(`Cổng SMS trả lời HTTP ${status} (SMS gateway refused the message)${body ? `: ${body}` : ''}`)
  }
}

/**
 * A brandname SMS gateway over HTTP, in the shape Vietnamese providers expose: POST JSON `{ to, text }` with a
 * bearer token, any 2xx meaning accepted. `to` is 84xxxxxxxxx; `text` is GSM-7. The brandname itself is
 * bound to the token by the provider.
 */
export class HttpSmsGateway implements SmsSender {
  constructor(
    private readonly settings: SmsGatewaySettings,
    private readonly timeoutMs = 15_000,
  ) {}

  async send(to: string, text: string, signal?: AbortSignal): Promise<void> {
    const timeout = AbortSignal.timeout(this.timeoutMs)
    const response = await fetch(this.settings.url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${this.settings.token}`,
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body: JSON.stringify({ to, text }),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    })
    // Read the answer either way, so the connection goes back to the pool.
    const body = await response.text()
    if (!response.ok) throw new SmsGatewayError(response.status, body.slice(0, 300).replace(/\s+/g, ' '))
  }
}
