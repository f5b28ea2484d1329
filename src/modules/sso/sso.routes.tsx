import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { InteractionResults } from 'oidc-provider'
import { UnauthenticatedError } from '../../platform/auth/actor.js'
import { ValidationError, type FieldErrors } from '../../platform/http/errors.js'
import { auditContext, redirectWithFlash, sendPage } from '../../platform/http/plugin.js'
import {
  CheckboxField,
  CsrfField,
  ErrorSummary,
  PostButton,
  SelectField,
  TextField,
} from '../../platform/views/components.js'
import type { PageContext } from '../../platform/views/context.js'
import { formatDateTime } from '../../platform/views/format.js'
import { ErrorPage, Layout } from '../../platform/views/layout.js'
import { identityPaths } from '../identity/index.js'
import { platformRequest } from './sso.adapter.js'
import { parseClientInput, requireSsoAdmin, type ClientRow } from './sso.clients.js'
import { ssoPaths as paths } from './sso.paths.js'
import type { SsoService } from './sso.service.js'
import { ClientKind } from './sso.tables.js'

type Form = Record<string, string | undefined>

/** What each scope lets an application read, as the consent page says it. */
const SCOPE_TEXT: Record<string, string> = {
  openid: 'Biết Ông/Bà là ai (mã định danh tài khoản)',
  profile: 'Họ tên và tên đăng nhập',
  email: 'Địa chỉ thư điện tử',
  phone: 'Số điện thoại',
  cb_roles: 'Đơn vị công tác và vai trò trên hệ thống',
  offline_access: 'Duy trì truy cập khi Ông/Bà không trực tuyến',
  lgsp: 'Gọi dịch vụ qua nền tảng tích hợp (LGSP)',
}

const KIND_TEXT: Record<ClientKind, string> = {
  authorization_code: 'Người dùng đăng nhập qua trình duyệt (authorization code + PKCE)',
  client_credentials: 'Hệ thống gọi hệ thống (client credentials)',
}

export function ssoRoutes(sso: SsoService) {
  return async function routes(app: FastifyInstance) {
    // oidc-provider is a Koa application: it gets the raw request and answers it itself.
    await app.register(async (scope) => {
      scope.removeAllContentTypeParsers()
      scope.addContentTypeParser('*', (_request, _payload, done) => done(null))
      const handle = async (request: FastifyRequest, reply: FastifyReply) => {
        const provider = sso.current()
        reply.hijack()
        const raw = request.raw as typeof request.raw & { originalUrl?: string }
        // Set before the prefix is stripped, or discovery advertises endpoints without /oidc.
        raw.originalUrl = raw.url
        raw.url = raw.url!.slice(paths.mount.length) || '/'
        await platformRequest.run(
          {
            sessionId: request.sessionId,
            userId: request.actor?.userId ?? null,
            requestId: request.id,
            lang: request.lang,
            audit: auditContext(request),
          },
          () => provider.callback()(raw, reply.raw),
        )
      }
      scope.all(paths.mount, handle)
      scope.all(`${paths.mount}/*`, handle)
    })

    const interactionError = (request: FastifyRequest, reply: FastifyReply) =>
      sendPage(
        reply,
        ErrorPage({
          ctx: app.pageContext(request, reply),
          title: 'Phiên đăng nhập ứng dụng đã hết hạn',
          body: 'Yêu cầu đăng nhập từ ứng dụng không còn hiệu lực. Vui lòng quay lại ứng dụng và đăng nhập lại.',
        }),
        400,
      )

    const details = async (request: FastifyRequest) => {
      const { uid } = request.params as { uid: string }
      const interaction = await sso
        .current()
        .interactionDetails(request.raw, request.raw as never)
        .catch(() => undefined)
      return interaction && interaction.uid === uid ? interaction : undefined
    }

    const finish = async (request: FastifyRequest, reply: FastifyReply, result: InteractionResults) => {
      const to = await sso.current().interactionResult(request.raw, reply.raw, result, {
        mergeWithLastSubmission: false,
      })
      return reply.redirect(to, 303)
    }

    /** Grants what the application asked for, on top of what the official already granted it. */
    const grant = async (interaction: NonNullable<Awaited<ReturnType<typeof details>>>) => {
      const provider = sso.current()
      const { prompt, params, session } = interaction
      const existing = interaction.grantId ? await provider.Grant.find(interaction.grantId) : undefined
      const grant =
        existing ?? new provider.Grant({ accountId: session!.accountId, clientId: String(params.client_id) })
      const missing = prompt.details as {
        missingOIDCScope?: string[]
        missingOIDCClaims?: string[]
        missingResourceScopes?: Record<string, string[]>
      }
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '))
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims)
      for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
        grant.addResourceScope(indicator, scopes.join(' '))
      }
      return grant.save()
    }

    app.get(paths.interaction(':uid'), async (request, reply) => {
      const interaction = await details(request)
      if (!interaction) return interactionError(request, reply)
      const actor = request.actor
      // The platform's own sign-in (password, lockout, two-factor) brings the official back here.
      if (!actor) return reply.redirect(`${identityPaths.login}?next=${encodeURIComponent(request.url)}`, 303)
      if (interaction.prompt.name === 'login') {
        const account = await sso.loadAccount(actor.userId)
        return finish(request, reply, { login: { accountId: actor.userId, amr: account?.amr ?? ['pwd'] } })
      }
      if (interaction.session?.accountId !== actor.userId) {
        return finish(request, reply, { login: { accountId: actor.userId } })
      }
      const client = await sso.clients.findClientPublic(String(interaction.params.client_id))
      if (!client) return interactionError(request, reply)
      if (client.first_party)
        return finish(request, reply, { consent: { grantId: await grant(interaction) } })
      const scopes = String(interaction.params.scope ?? '')
        .split(' ')
        .filter((s) => s && s !== 'openid')
      const ctx = app.pageContext(request, reply)
      return sendPage(
        reply,
        <Layout ctx={ctx} title="Cho phép ứng dụng truy cập">
          <h1>Cho phép ứng dụng truy cập</h1>
          <p>
            Ứng dụng <strong safe>{client.name}</strong> đề nghị dùng tài khoản{' '}
            <strong safe>{actor.username}</strong> của Ông/Bà để đăng nhập và được biết:
          </p>
          <ul id="scopes">
            {['openid', ...scopes].map((scope) => (
              <li data-scope={scope} safe>
                {SCOPE_TEXT[scope] ?? scope}
              </li>
            ))}
          </ul>
          <form method="post" action={paths.interactionConsent(interaction.uid)} class="inline-form">
            <CsrfField token={ctx.csrf} />
            <button type="submit">Cho phép</button>
          </form>{' '}
          <form method="post" action={paths.interactionAbort(interaction.uid)} class="inline-form">
            <CsrfField token={ctx.csrf} />
            <button type="submit" class="link">
              Từ chối
            </button>
          </form>
        </Layout>,
      )
    })

    app.post(paths.interactionConsent(':uid'), async (request, reply) => {
      const interaction = await details(request)
      if (!interaction) return interactionError(request, reply)
      if (!request.actor || interaction.session?.accountId !== request.actor.userId)
        throw new UnauthenticatedError()
      if (interaction.prompt.name !== 'consent')
        return reply.redirect(paths.interaction(interaction.uid), 303)
      return finish(request, reply, { consent: { grantId: await grant(interaction) } })
    })

    app.post(paths.interactionAbort(':uid'), async (request, reply) => {
      const interaction = await details(request)
      if (!interaction) return interactionError(request, reply)
      return finish(request, reply, {
        error: 'access_denied',
        error_description: 'Người dùng không cho phép ứng dụng truy cập.',
      })
    })

    app.get(paths.myApps, async (request, reply) => {
      const actor = request.actor
      if (!actor) throw new UnauthenticatedError()
      const apps = await sso.clients.listForUser(actor.userId)
      const ctx = app.pageContext(request, reply)
      return sendPage(
        reply,
        <Layout ctx={ctx} title="Ứng dụng của tôi">
          <h1>Ứng dụng của tôi</h1>
          <p>Các ứng dụng của tỉnh Ông/Bà có thể mở bằng tài khoản này mà không phải đăng nhập lại.</p>
          {apps.length === 0 ? (
            <p>Chưa có ứng dụng nào.</p>
          ) : (
            <ul id="apps" class="app-list">
              {apps.map((client) => (
                <li data-client={client.client_id}>
                  {client.home_url ? (
                    <a href={client.home_url} safe>
                      {client.name}
                    </a>
                  ) : (
                    <span safe>{client.name}</span>
                  )}
                  {client.description ? (
                    <p class="hint" safe>
                      {client.description}
                    </p>
                  ) : (
                    ''
                  )}
                </li>
              ))}
            </ul>
          )}
        </Layout>,
      )
    })

    // Administration of the registered applications.
    const formPage = (
      ctx: PageContext,
      values: Form,
      existing: ClientRow | undefined,
      errors?: FieldErrors,
      extra: JSX.Element = '',
    ) => {
      const title = existing ? `Sửa ứng dụng: ${existing.name}` : 'Đăng ký ứng dụng'
      const textarea = (name: string, label: string, hint: string) => (
        <div class={errors?.[name] ? 'field field-error' : 'field'}>
          <label for={name} safe>
            {label}
          </label>
          <p class="hint" id={`${name}-hint`} safe>
            {hint}
          </p>
          {errors?.[name] ? (
            <p class="error-message" id={`${name}-error`} safe>
              {errors[name]}
            </p>
          ) : (
            ''
          )}
          <textarea id={name} name={name} rows="3" aria-describedby={`${name}-hint`} safe>
            {values[name] ?? ''}
          </textarea>
        </div>
      )
      return (
        <Layout ctx={ctx} title={title}>
          <h1 safe>{title}</h1>
          <ErrorSummary errors={errors} title="Có lỗi cần sửa" />
          <form
            method="post"
            action={existing ? paths.client(existing.client_id) : paths.newClient}
            novalidate
          >
            <CsrfField token={ctx.csrf} />
            <TextField name="name" label="Tên ứng dụng" value={values.name} error={errors?.name} required />
            <TextField name="description" label="Mô tả" value={values.description} />
            {existing ? (
              <p>
                <span>Loại: </span>
                <span safe>{KIND_TEXT[existing.kind]}</span>
                <input type="hidden" name="kind" value={existing.kind} />
              </p>
            ) : (
              <SelectField
                name="kind"
                label="Cách ứng dụng đăng nhập"
                value={values.kind}
                error={errors?.kind}
                options={Object.entries(KIND_TEXT).map(([value, label]) => ({ value, label }))}
              />
            )}
            {textarea(
              'redirectUris',
              'Địa chỉ chuyển hướng sau đăng nhập (redirect URI)',
              'Mỗi dòng một địa chỉ https (http chỉ dùng với localhost).',
            )}
            {textarea(
              'postLogoutRedirectUris',
              'Địa chỉ chuyển hướng sau đăng xuất',
              'Mỗi dòng một địa chỉ; có thể để trống.',
            )}
            <TextField
              name="backchannelLogoutUri"
              label="Địa chỉ nhận thông báo đăng xuất (back-channel logout URI)"
              value={values.backchannelLogoutUri}
              error={errors?.backchannelLogoutUri}
            />
            <TextField
              name="homeUrl"
              label="Trang chủ của ứng dụng"
              value={values.homeUrl}
              error={errors?.homeUrl}
            />
            <TextField
              name="scopes"
              label="Phạm vi được phép (scope)"
              hint="Cách nhau bởi dấu cách. Ứng dụng người dùng: openid profile email phone cb_roles offline_access; hệ thống: lgsp."
              value={values.scopes}
              error={errors?.scopes}
            />
            <CheckboxField
              name="firstParty"
              label="Ứng dụng của tỉnh (không hỏi cán bộ đồng ý, hiện trong “Ứng dụng của tôi”)"
              checked={values.firstParty === 'on'}
            />
            <button type="submit">{existing ? 'Lưu thay đổi' : 'Đăng ký'}</button>
          </form>
          {extra}
        </Layout>
      )
    }

    const formValues = (row: ClientRow): Form => ({
      name: row.name,
      description: row.description ?? '',
      kind: row.kind,
      redirectUris: row.redirect_uris.join('\n'),
      postLogoutRedirectUris: row.post_logout_redirect_uris.join('\n'),
      backchannelLogoutUri: row.backchannel_logout_uri ?? '',
      homeUrl: row.home_url ?? '',
      scopes: row.scopes.join(' '),
      firstParty: row.first_party ? 'on' : undefined,
    })

    /** The secret is shown on this one page and never again. */
    const renderSecret = (ctx: PageContext, reply: FastifyReply, client: ClientRow, secret: string) =>
      sendPage(
        reply,
        <Layout ctx={ctx} title="Thông tin đăng nhập của ứng dụng">
          <h1>Thông tin đăng nhập của ứng dụng</h1>
          <p>Sao chép khóa bí mật ngay: hệ thống chỉ lưu bản băm và không hiển thị lại.</p>
          <dl>
            <dt>Issuer</dt>
            <dd class="secret" safe>
              {sso.issuer}
            </dd>
            <dt>client_id</dt>
            <dd class="secret" id="client-id" safe>
              {client.client_id}
            </dd>
            <dt>client_secret</dt>
            <dd class="secret" id="client-secret" safe>
              {secret}
            </dd>
          </dl>
          <p>
            <a href={paths.clients}>Về danh sách ứng dụng</a>
          </p>
        </Layout>,
      )

    app.get(paths.clients, async (request, reply) => {
      const clients = await sso.clients.listClients(request.actor)
      const ctx = app.pageContext(request, reply)
      return sendPage(
        reply,
        <Layout ctx={ctx} title="Ứng dụng đăng nhập một lần" wide>
          <h1>Ứng dụng đăng nhập một lần (SSO)</h1>
          <p>
            Issuer: <code safe>{sso.issuer}</code>
          </p>
          <p>
            <a href={paths.newClient} class="button">
              Đăng ký ứng dụng
            </a>
          </p>
          <table id="clients">
            <thead>
              <tr>
                <th scope="col">Tên</th>
                <th scope="col">client_id</th>
                <th scope="col">Loại</th>
                <th scope="col">Tình trạng</th>
                <th scope="col">Cập nhật</th>
              </tr>
            </thead>
            <tbody>
              {clients.map((client) => (
                <tr data-client={client.client_id}>
                  <td>
                    <a href={paths.client(client.client_id)} safe>
                      {client.name}
                    </a>
                  </td>
                  <td>
                    <code safe>{client.client_id}</code>
                  </td>
                  <td safe>{KIND_TEXT[client.kind]}</td>
                  <td>{client.disabled_at ? 'Đã vô hiệu hóa' : 'Đang hoạt động'}</td>
                  <td safe>{formatDateTime(client.updated_at, ctx.lang)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Layout>,
      )
    })

    app.get(paths.newClient, async (request, reply) => {
      requireSsoAdmin(request.actor)
      return sendPage(
        reply,
        formPage(app.pageContext(request, reply), { kind: ClientKind.authorizationCode }, undefined),
      )
    })

    app.post(paths.newClient, async (request, reply) => {
      requireSsoAdmin(request.actor)
      const form = (request.body ?? {}) as Form
      try {
        const input = parseClientInput(form)
        const created = await sso.clients.createClient(request.actor, input, auditContext(request))
        return renderSecret(app.pageContext(request, reply), reply, created.client, created.secret)
      } catch (error) {
        if (error instanceof ValidationError)
          return sendPage(
            reply,
            formPage(app.pageContext(request, reply), form, undefined, error.fields),
            422,
          )
        throw error
      }
    })

    /** The client's state and its actions (disable, new secret), under its edit form. */
    const clientActions = (client: ClientRow, ctx: PageContext) => (
      <section id="client-actions">
        <h2>Thao tác</h2>
        <p>
          Tình trạng: <strong>{client.disabled_at ? 'Đã vô hiệu hóa' : 'Đang hoạt động'}</strong>
        </p>
        {client.disabled_at ? (
          <PostButton action={paths.clientEnable(client.client_id)} csrf={ctx.csrf} label="Kích hoạt lại" />
        ) : (
          <PostButton
            action={paths.clientDisable(client.client_id)}
            csrf={ctx.csrf}
            label="Vô hiệu hóa (thu hồi mọi token)"
            variant="danger"
          />
        )}{' '}
        <PostButton
          action={paths.clientSecret(client.client_id)}
          csrf={ctx.csrf}
          label="Cấp khóa bí mật mới"
        />
      </section>
    )

    app.get(paths.client(':id'), async (request, reply) => {
      const { id } = request.params as { id: string }
      const client = await sso.clients.getClient(request.actor, id)
      const ctx = app.pageContext(request, reply)
      return sendPage(reply, formPage(ctx, formValues(client), client, undefined, clientActions(client, ctx)))
    })

    app.post(paths.client(':id'), async (request, reply) => {
      const { id } = request.params as { id: string }
      const existing = await sso.clients.getClient(request.actor, id)
      const form = { ...((request.body ?? {}) as Form), kind: existing.kind }
      try {
        await sso.clients.updateClient(request.actor, id, parseClientInput(form), auditContext(request))
      } catch (error) {
        if (error instanceof ValidationError)
          return sendPage(reply, formPage(app.pageContext(request, reply), form, existing, error.fields), 422)
        throw error
      }
      return redirectWithFlash(reply, paths.client(id), 'Đã lưu thay đổi của ứng dụng.')
    })

    app.post(paths.clientDisable(':id'), async (request, reply) => {
      const { id } = request.params as { id: string }
      await sso.clients.setDisabled(request.actor, id, true, auditContext(request))
      return redirectWithFlash(
        reply,
        paths.client(id),
        'Đã vô hiệu hóa ứng dụng; mọi token của ứng dụng bị thu hồi.',
      )
    })

    app.post(paths.clientEnable(':id'), async (request, reply) => {
      const { id } = request.params as { id: string }
      await sso.clients.setDisabled(request.actor, id, false, auditContext(request))
      return redirectWithFlash(reply, paths.client(id), 'Đã kích hoạt lại ứng dụng.')
    })

    app.post(paths.clientSecret(':id'), async (request, reply) => {
      const { id } = request.params as { id: string }
      const secret = await sso.clients.resetSecret(request.actor, id, auditContext(request))
      const client = await sso.clients.getClient(request.actor, id)
      return renderSecret(app.pageContext(request, reply), reply, client, secret)
    })
  }
}
