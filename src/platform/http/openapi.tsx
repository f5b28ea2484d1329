import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger'
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { sendPage } from './plugin.js'
import { Layout } from '../views/layout.js'

/** The one error shape every JSON endpoint answers with. */
export const ErrorSchema = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Mã lỗi máy đọc được, ví dụ validation_failed' }),
      message: Type.String({ description: 'Thông báo tiếng Việt cho người dùng' }),
      details: Type.Optional(Type.Unknown()),
    }),
  },
  { $id: undefined },
)

export const openApiOptions: FastifyDynamicSwaggerOptions = {
  openapi: {
    openapi: '3.0.3',
    info: {
      title: 'API Nền tảng chính quyền số tỉnh Cao Bằng',
      description:
        'API JSON của nền tảng. Xác thực bằng khóa truy cập cá nhân: `Authorization: Bearer cbp_…`. ' +
        'Mọi lỗi có dạng `{ "error": { "code", "message", "details" } }` với thông báo tiếng Việt.',
      version: '1',
    },
    servers: [{ url: '/api/v1' }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
  },
  // Only /api/v1 routes belong in the document; pages and health checks do not.
  transform: ({ schema, url }) => {
    const hide = !url.startsWith('/api/v1/')
    return { schema: hide ? { ...schema, hide: true } : schema, url: url.replace(/^\/api\/v1/, '') }
  },
}

type OpenApiDoc = { paths?: Record<string, Record<string, { summary?: string; tags?: string[] }>> }

export async function apiDocsRoutes(app: FastifyInstance) {
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger())

  // A browsable list rendered on the server: works without JavaScript and under the strict CSP.
  app.get('/api/docs', { schema: { hide: true } }, async (request, reply) => {
    const doc = app.swagger() as OpenApiDoc
    const ctx = app.pageContext(request, reply)
    const en = ctx.lang === 'en'
    const rows = Object.entries(doc.paths ?? {}).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({
        method: method.toUpperCase(),
        path: `/api/v1${path}`,
        op,
      })),
    )
    const byTag = new Map<string, typeof rows>()
    for (const row of rows) {
      const tag = row.op.tags?.[0] ?? 'Khác'
      byTag.set(tag, [...(byTag.get(tag) ?? []), row])
    }
    return sendPage(
      reply,
      <Layout ctx={ctx} title="API" wide>
        <h1>{en ? 'JSON API, version 1' : 'API JSON, phiên bản 1'}</h1>
        <p>
          {en
            ? 'Authenticate with a personal access token created on your account page: Authorization: Bearer cbp_…. Errors have one shape: { "error": { "code", "message", "details" } }.'
            : 'Xác thực bằng khóa truy cập cá nhân tạo ở trang Tài khoản: Authorization: Bearer cbp_…. Lỗi luôn có dạng { "error": { "code", "message", "details" } }.'}
        </p>
        <p>
          <a href="/api/openapi.json">{en ? 'OpenAPI 3 document (JSON)' : 'Tài liệu OpenAPI 3 (JSON)'}</a>
        </p>
        {[...byTag.entries()].map(([tag, ops]) => (
          <section>
            <h2 safe>{tag}</h2>
            <table>
              <thead>
                <tr>
                  <th scope="col">{en ? 'Method' : 'Phương thức'}</th>
                  <th scope="col">{en ? 'Path' : 'Đường dẫn'}</th>
                  <th scope="col">{en ? 'Purpose' : 'Chức năng'}</th>
                </tr>
              </thead>
              <tbody>
                {ops.map((row) => (
                  <tr>
                    <td>
                      <code safe>{row.method}</code>
                    </td>
                    <td>
                      <code safe>{row.path}</code>
                    </td>
                    <td safe>{row.op.summary ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        ))}
      </Layout>,
    )
  })
}
