import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import type { FastifyServerFactory } from 'fastify'

/** The part of Fastify's options that shapes the HTTP server it would have built itself. */
type ServerOptions = {
  http?: http.ServerOptions
  keepAliveTimeout?: number
  requestTimeout?: number
  connectionTimeout?: number
  maxRequestsPerSocket?: number
}

/** A handler on Node's own request and response; it answers every request it is given and never throws. */
export type RawHandler = (req: IncomingMessage, res: ServerResponse) => unknown

/**
 * Paths served by Node's HTTP server before Fastify sees them, for system-to-system traffic where the page
 * kernel's hooks (cookies, sessions, compression, browser security headers, content negotiation) cost more per
 * request than the work itself. The LGSP gateway (`/r1/`) is the one user (decision 0012).
 *
 * Fastify must still route the same paths: `app.inject` does not go through the server, and a handler mounted
 * here has no Fastify hooks, logging or error handler, so it answers its own errors.
 */
export function createRawRoutes() {
  const mounted: { prefix: string; handler: RawHandler }[] = []

  const serverFactory: FastifyServerFactory = (fastifyHandler, fastifyOptions) => {
    const options = fastifyOptions as ServerOptions
    const server = http.createServer(options.http ?? {}, (req, res) => {
      const url = req.url
      if (url !== undefined) {
        for (const { prefix, handler } of mounted) {
          if (url.startsWith(prefix)) {
            handler(req, res)
            return
          }
        }
      }
      fastifyHandler(req, res)
    })
    // What Fastify sets on the servers it builds itself.
    server.keepAliveTimeout = options.keepAliveTimeout ?? 72_000
    server.requestTimeout = options.requestTimeout ?? 0
    server.setTimeout(options.connectionTimeout ?? 0)
    if (options.maxRequestsPerSocket) server.maxRequestsPerSocket = options.maxRequestsPerSocket
    return server
  }

  return {
    serverFactory,
    /** Serves every request whose path starts with `prefix` (which should end with `/`) by `handler`. */
    mount(prefix: string, handler: RawHandler) {
      mounted.push({ prefix, handler })
    },
  }
}
