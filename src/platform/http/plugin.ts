import { constants as zlib } from 'node:zlib'
import compress from '@fastify/compress'
import cookie from '@fastify/cookie'
import formbody from '@fastify/formbody'
import helmet from '@fastify/helmet'
import rateLimit from '@fastify/rate-limit'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { appendAudit, type AuditContext } from '../audit/audit.js'
import { ForbiddenError, UnauthenticatedError, type Actor } from '../auth/actor.js'
import type { Config } from '../config.js'
import type { Db } from '../db/database.js'
import { ping } from '../db/database.js'
import { SCANNER_UNAVAILABLE_MESSAGE, ScannerUnavailable } from '../files/scanner.js'
import { common } from '../i18n/common.js'
import { isLang, LANG_COOKIE, translator, type Lang } from '../i18n/index.js'
import { assets } from '../views/assets.js'
import type { PageContext } from '../views/context.js'
import { ErrorPage } from '../views/layout.js'
import { csrfToken, verifyCsrf } from './csrf.js'
import { AppError, errorBody } from './errors.js'
import { uploadsPlugin } from './uploads.js'
import { describeSchemaErrors } from './validation.js'

export type ResolvedActor = { actor: Actor | null; via: 'session' | 'token' | null; sessionId: string | null }
export type ActorResolver = (request: FastifyRequest, reply: FastifyReply) => Promise<ResolvedActor>

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor | null
    authVia: 'session' | 'token' | null
    sessionId: string | null
    lang: Lang
  }
}

const FLASH_COOKIE = 'cb_flash'
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

export type HttpKernelOptions = { config: Config; db: Db; resolveActor: ActorResolver }

/** Whether the caller is a program (JSON) rather than a person with a browser (HTML). */
export function wantsJson(request: FastifyRequest): boolean {
  const url = request.url
  if (
    url.startsWith('/api/v1/') ||
    url.startsWith('/api/openapi.json') ||
    url === '/healthz' ||
    url === '/readyz'
  ) {
    return true
  }
  const accept = request.headers.accept ?? ''
  return accept.includes('application/json') && !accept.includes('text/html')
}

export function auditContext(request: FastifyRequest): AuditContext {
  return {
    actorId: request.actor?.userId ?? null,
    actorLabel: request.actor?.username ?? null,
    ip: request.ip,
    requestId: request.id,
  }
}

export function sendPage(reply: FastifyReply, html: string | Promise<string>, status = 200) {
  return reply.code(status).type('text/html; charset=utf-8').send(html)
}

/** POST-redirect-GET with a one-time message shown on the next page. */
export function redirectWithFlash(reply: FastifyReply, location: string, message: string) {
  reply.setCookie(FLASH_COOKIE, Buffer.from(message).toString('base64url'), {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    maxAge: 60,
  })
  return reply.redirect(location, 303)
}

export function safeNext(next: unknown, fallback = '/'): string {
  return typeof next === 'string' && next.startsWith('/') && !next.startsWith('//') && !next.includes('\\')
    ? next
    : fallback
}

export const httpKernel = fp<HttpKernelOptions>(
  async (app: FastifyInstance, { config, db, resolveActor }) => {
    const secure = config.secureCookies

    // Pages travel over 2G in the mountains: compress everything worth it, with a cheap brotli level.
    await app.register(compress, {
      threshold: 1024,
      encodings: ['br', 'gzip'],
      brotliOptions: { params: { [zlib.BROTLI_PARAM_QUALITY]: 5 } },
    })
    await app.register(cookie, { secret: config.secretKey })
    await app.register(formbody, { bodyLimit: config.bodyLimitBytes })
    await app.register(uploadsPlugin, { maxFileBytes: config.uploadMaxBytes })
    await app.register(helmet, {
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          fontSrc: ["'self'"],
          connectSrc: ["'self'"],
          // Signing out sends the form's redirect on to the outside identity provider's end-session endpoint,
          // and browsers check form-action along the redirects of a submission.
          formAction: [
            "'self'",
            ...(config.externalOidc ? [new URL(config.externalOidc.issuer).origin] : []),
          ],
          frameAncestors: ["'none'"],
          objectSrc: ["'none'"],
          baseUri: ["'self'"],
        },
      },
      hsts: secure ? { maxAge: 31536000 } : false,
      crossOriginEmbedderPolicy: false,
    })
    await app.register(rateLimit, {
      global: false,
      errorResponseBuilder: (_request, context) =>
        new AppError(
          429,
          'too_many_requests',
          `Bạn đã gửi quá nhiều yêu cầu. Vui lòng thử lại sau ${Math.ceil(context.ttl / 1000)} giây.`,
        ),
    })

    app.decorateRequest('actor', null)
    app.decorateRequest('authVia', null)
    app.decorateRequest('sessionId', null)
    app.decorateRequest('lang', 'vi')

    app.addHook('onRequest', async (request, reply) => {
      reply.header('x-request-id', request.id)
      const lang = request.cookies[LANG_COOKIE]
      request.lang = isLang(lang) ? lang : 'vi'
      const resolved = await resolveActor(request, reply)
      request.actor = resolved.actor
      request.authVia = resolved.via
      request.sessionId = resolved.sessionId
    })

    // A form or a cookie-authenticated call must prove it came from our own page; bearer-token API calls
    // carry no ambient credential, so they need no CSRF token.
    app.addHook('preHandler', async (request) => {
      if (!STATE_CHANGING.has(request.method) || request.authVia === 'token') return
      // The provider and the LGSP gateway (/r1) take no cookies: their callers authenticate each request.
      if (request.url.startsWith('/oidc/') || request.url.startsWith('/r1/')) return
      // A multipart form is checked by readMultipart as it streams, before its first file is kept.
      if (request.isMultipart() && request.routeOptions.config.multipart === true) return
      verifyCsrf(request, config.secretKey)
    })

    app.get('/assets/:name', async (request, reply) => {
      const asset = assets.get((request.params as { name: string }).name)
      if (!asset) return sendNotFound(request, reply)
      return reply
        .header('cache-control', 'public, max-age=31536000, immutable')
        .header('etag', `"${asset.etag}"`)
        .type(asset.type)
        .send(asset.body)
    })
    app.get('/favicon.ico', (_request, reply) => reply.redirect('/assets/favicon.svg', 301))

    app.get('/lang/:lang', async (request, reply) => {
      const { lang } = request.params as { lang: string }
      const next = safeNext((request.query as { next?: string }).next)
      if (isLang(lang)) {
        reply.setCookie(LANG_COOKIE, lang, { path: '/', sameSite: 'lax', secure, maxAge: 365 * 24 * 3600 })
      }
      return reply.redirect(next, 303)
    })

    app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }))
    app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
      try {
        if (await ping(db)) return { status: 'ready', database: 'ok' }
      } catch (error) {
        app.log.warn({ err: error }, 'readiness check failed')
      }
      return reply.code(503).send(errorBody('not_ready', 'Cơ sở dữ liệu chưa sẵn sàng.'))
    })

    app.decorate('pageContext', (request: FastifyRequest, reply: FastifyReply): PageContext => {
      const flashRaw = request.cookies[FLASH_COOKIE]
      let flash: string | null = null
      if (flashRaw) {
        flash = Buffer.from(flashRaw, 'base64url').toString('utf8')
        reply.clearCookie(FLASH_COOKIE, { path: '/' })
      }
      return {
        lang: request.lang,
        path: request.url,
        csrf: csrfToken(request, reply, config.secretKey, secure),
        actor: request.actor,
        requestId: request.id,
        flash,
      }
    })

    const sendNotFound = (request: FastifyRequest, reply: FastifyReply) => {
      if (wantsJson(request)) {
        return reply.code(404).send(errorBody('not_found', 'Không tìm thấy tài nguyên được yêu cầu.'))
      }
      const t = translator(common, request.lang)
      return sendPage(
        reply,
        ErrorPage({
          ctx: app.pageContext(request, reply),
          title: t('notFoundTitle'),
          body: t('notFoundBody'),
        }),
        404,
      )
    }
    app.setNotFoundHandler(sendNotFound)

    app.setErrorHandler(async (error: FastifyError, request, reply) => {
      const t = translator(common, request.lang)
      const json = wantsJson(request)

      if (error instanceof UnauthenticatedError) {
        if (json) return reply.code(401).send(errorBody('unauthenticated', error.message))
        return reply.redirect(`/login?next=${encodeURIComponent(request.url)}`, 303)
      }
      if (error instanceof ForbiddenError) {
        await appendAudit(db, auditContext(request), {
          action: 'permission.denied',
          outcome: 'denied',
          unitId: error.unitId,
          details: { permission: error.permission, method: request.method, url: request.url.split('?')[0] },
        }).catch((auditError: unknown) => request.log.error({ err: auditError }, 'could not audit a denial'))
        if (json) return reply.code(403).send(errorBody('forbidden', error.message))
        return sendPage(
          reply,
          ErrorPage({
            ctx: app.pageContext(request, reply),
            title: t('forbiddenTitle'),
            body: t('forbiddenBody'),
          }),
          403,
        )
      }

      const mapped = mapError(error, config.bodyLimitBytes)
      if (mapped.status >= 500) {
        request.log.error({ err: error }, 'unhandled error')
      } else {
        request.log.info({ code: mapped.code, status: mapped.status }, mapped.message)
      }
      if (json) return reply.code(mapped.status).send(errorBody(mapped.code, mapped.message, mapped.details))
      const unexpected = mapped.code === 'internal_error'
      const title = mapped.status >= 500 ? t('serverErrorTitle') : t('badRequestTitle')
      const body = unexpected ? t('serverErrorBody') : mapped.message
      return sendPage(reply, ErrorPage({ ctx: app.pageContext(request, reply), title, body }), mapped.status)
    })
  },
)

type Mapped = { status: number; code: string; message: string; details?: unknown }

function mapError(error: FastifyError, bodyLimit: number): Mapped {
  if (error instanceof AppError) {
    return { status: error.statusCode, code: error.code, message: error.message, details: error.details }
  }
  if (error instanceof ScannerUnavailable) {
    return { status: 503, code: 'scanner_unavailable', message: SCANNER_UNAVAILABLE_MESSAGE }
  }
  if (error.validation) {
    const problems = describeSchemaErrors(error.validation, error.validationContext ?? 'body')
    return {
      status: 400,
      code: 'validation_failed',
      message: problems.map((p) => p.message).join(' '),
      details: { fields: problems },
    }
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        status: 413,
        code: 'payload_too_large',
        message: `Dữ liệu gửi lên quá lớn (tối đa ${Math.floor(bodyLimit / 1024)} KB).`,
      }
    case 'FST_REQ_FILE_TOO_LARGE':
      return { status: 413, code: 'file_too_large', message: 'Tệp đính kèm vượt quá dung lượng cho phép.' }
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        status: 415,
        code: 'unsupported_media_type',
        message: 'Kiểu nội dung gửi lên không được hỗ trợ.',
      }
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, code: 'invalid_json', message: 'Nội dung JSON bị trống.' }
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, code: 'invalid_json', message: 'Nội dung JSON không hợp lệ (sai cú pháp).' }
    default:
  }
  if (error instanceof SyntaxError) {
    return { status: 400, code: 'invalid_json', message: 'Nội dung JSON không hợp lệ (sai cú pháp).' }
  }
  const status = error.statusCode ?? 500
  if (status >= 400 && status < 500) {
    return { status, code: 'bad_request', message: 'Yêu cầu không hợp lệ.' }
  }
  return {
    status: 500,
    code: 'internal_error',
    message: 'Hệ thống gặp sự cố ngoài ý muốn. Vui lòng thử lại sau.',
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    pageContext(request: FastifyRequest, reply: FastifyReply): PageContext
  }
}
