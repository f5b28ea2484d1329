/**
 * One exchange through the LGSP gateway, as the gateway hands it to the message log. The contract between the
 * two modules: the gateway fills it once the response is finished (or failed), the log keeps it as evidence.
 */
export type ExchangeRecord = {
  /** `X-Road-Id`: this platform's id of the message. */
  messageId: string
  /** `X-Road-Request-Id`: the id of the request it answers (the same for a request and its response). */
  requestId: string
  /** The calling subsystem, `INSTANCE/CLASS/MEMBER/SUBSYSTEM`. */
  client: string
  /** The service called, `INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE`. */
  service: string
  /** The OAuth2 client whose bearer token authenticated the call. */
  tokenClientId: string
  method: string
  /** The path below the service, with its query string. */
  path: string
  /** The status returned to the client (the gateway's own on an error). */
  status: number
  /** The X-Road-style error code when the gateway answered with an error (`Server.ServerProxy.…`, `Client.…`). */
  errorCode?: string
  startedAt: Date
  finishedAt: Date
  /** SHA-256 of the request and response bodies, base64, as sent in `X-Road-Request-Hash`. */
  requestHash: string
  responseHash: string
  requestBytes: number
  responseBytes: number
  /** The bodies themselves, only when the service's policy says to keep them (kept encrypted). */
  requestBody?: Buffer
  responseBody?: Buffer
}

/** What the gateway needs from the message log. */
export interface ExchangeRecorder {
  /** Appends the exchange; must not hold a lock across requests (the gateway calls it on every exchange). */
  record(entry: ExchangeRecord): Promise<void>
}
