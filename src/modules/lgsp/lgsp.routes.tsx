import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Actor } from '../../platform/auth/actor.js'
import { NotFoundError, ValidationError, type FieldErrors } from '../../platform/http/errors.js'
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
import { Layout } from '../../platform/views/layout.js'
import { openApiForClients, type Gateway } from './lgsp.gateway.js'
import { formatServiceId } from './lgsp.identifiers.js'
import {
  DEFAULT_INSTANCE,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_RATE_LIMIT,
  DEFAULT_TIMEOUT_MS,
} from './lgsp.input.js'
import { healthText, memberClassText } from './lgsp.locales.js'
import { gatewayPaths, lgspPaths as paths } from './lgsp.paths.js'
import {
  requireLgspAdmin,
  type LgspService,
  type Service,
  type Snapshot,
  type Subsystem,
} from './lgsp.service.js'
import { MEMBER_CLASSES } from './lgsp.tables.js'

type Form = Record<string, string | undefined>

const ERROR_TITLE = 'Có lỗi cần sửa'

function TextArea(props: {
  name: string
  label: string
  hint?: string
  value?: string
  error?: string
  rows?: number
}) {
  return (
    <div class={props.error ? 'field field-error' : 'field'}>
      <label for={props.name} safe>
        {props.label}
      </label>
      {props.hint ? (
        <p class="hint" id={`${props.name}-hint`} safe>
          {props.hint}
        </p>
      ) : (
        ''
      )}
      {props.error ? (
        <p class="error-message" id={`${props.name}-error`} lang="vi" safe>
          {props.error}
        </p>
      ) : (
        ''
      )}
      <textarea
        id={props.name}
        name={props.name}
        rows={String(props.rows ?? 4)}
        aria-describedby={props.hint ? `${props.name}-hint` : undefined}
        aria-invalid={props.error ? 'true' : undefined}
        safe
      >
        {props.value ?? ''}
      </textarea>
    </div>
  )
}

function Breadcrumbs({ items }: { items: { href?: string; label: string }[] }) {
  return (
    <nav aria-label="Vị trí" class="breadcrumbs">
      <ol>
        {items.map((item) => (
          <li>
            {item.href ? (
              <a href={item.href} safe>
                {item.label}
              </a>
            ) : (
              <span aria-current="page" safe>
                {item.label}
              </span>
            )}
          </li>
        ))}
      </ol>
    </nav>
  )
}

const home = { href: paths.home, label: 'Nền tảng tích hợp (LGSP)' }

function memberForm(ctx: PageContext, values: Form, errors: FieldErrors | undefined, memberId?: string) {
  const title = memberId ? 'Sửa thông tin thành viên' : 'Đăng ký thành viên LGSP'
  return (
    <Layout ctx={ctx} title={title}>
      <Breadcrumbs items={[home, { label: title }]} />
      <h1>{title}</h1>
      <ErrorSummary errors={errors} title={ERROR_TITLE} />
      <form method="post" action={memberId ? paths.member(memberId) : paths.newMember} novalidate>
        <CsrfField token={ctx.csrf} />
        {memberId ? (
          <p>
            Mã định danh: <code safe>{`${values.instance}/${values.memberClass}/${values.memberCode}`}</code>
          </p>
        ) : (
          <>
            <TextField
              name="instance"
              label="Hệ thống trao đổi (instance)"
              hint="Mặc định VN."
              value={values.instance ?? DEFAULT_INSTANCE}
              error={errors?.instance}
            />
            <SelectField
              name="memberClass"
              label="Loại thành viên"
              value={values.memberClass}
              error={errors?.memberClass}
              options={MEMBER_CLASSES.map((c) => ({ value: c, label: memberClassText[c] }))}
            />
            <TextField
              name="memberCode"
              label="Mã định danh"
              hint="Cơ quan nhà nước: mã QCVN 102:2016/BTTTT, ví dụ 000.00.00.H14 (UBND tỉnh Cao Bằng)."
              value={values.memberCode}
              error={errors?.memberCode}
              required
            />
          </>
        )}
        <TextField
          name="name"
          label="Tên cơ quan, tổ chức"
          value={values.name}
          error={errors?.name}
          required
        />
        <button type="submit">{memberId ? 'Lưu thay đổi' : 'Đăng ký'}</button>
      </form>
    </Layout>
  )
}

function subsystemFields(values: Form, errors: FieldErrors | undefined, existing: boolean) {
  return (
    <>
      {existing ? (
        ''
      ) : (
        <TextField
          name="code"
          label="Mã hệ thống (subsystem)"
          hint="Chữ cái không dấu, chữ số, “.”, “_”, “-”; ví dụ MOTCUA."
          value={values.code}
          error={errors?.code}
          required
        />
      )}
      <TextField
        name="name"
        label="Tên hệ thống thông tin"
        value={values.name}
        error={errors?.name}
        required
      />
      <TextField
        name="ssoClientId"
        label="Ứng dụng SSO của hệ thống (client_id)"
        hint="Ứng dụng loại “hệ thống gọi hệ thống” đăng ký ở trang SSO; token của ứng dụng này đại diện cho hệ thống khi gọi dịch vụ. Để trống nếu hệ thống chỉ cung cấp dịch vụ."
        value={values.ssoClientId}
        error={errors?.ssoClientId}
      />
      <TextField
        name="rateLimitPerMinute"
        label="Số lần gọi tối đa mỗi phút"
        value={values.rateLimitPerMinute ?? String(DEFAULT_RATE_LIMIT)}
        error={errors?.rateLimitPerMinute}
        inputmode="numeric"
      />
      <TextArea
        name="clientCertificate"
        label="Chứng thư số của hệ thống (TLS hai chiều, PEM)"
        hint="Nếu dán chứng thư số, hệ thống phải xuất trình đúng chứng thư này khi gọi qua cổng (ngoài token SSO). Để trống: không yêu cầu."
        value={values.clientCertificate}
        error={errors?.clientCertificate}
        rows={6}
      />
      {existing ? (
        <CheckboxField
          name="disabled"
          label="Vô hiệu hóa hệ thống (không gọi được dịch vụ)"
          checked={values.disabled === 'on'}
        />
      ) : (
        ''
      )}
    </>
  )
}

function serviceFields(values: Form, errors: FieldErrors | undefined, existing: boolean) {
  return (
    <>
      {existing ? (
        ''
      ) : (
        <TextField
          name="code"
          label="Mã dịch vụ"
          hint="Chữ cái không dấu, chữ số, “.”, “_”, “-”; ví dụ tra-cuu-ho-so."
          value={values.code}
          error={errors?.code}
          required
        />
      )}
      <TextField name="version" label="Phiên bản" value={values.version} error={errors?.version} required />
      <TextField name="title" label="Tên dịch vụ" value={values.title} error={errors?.title} required />
      <TextField name="description" label="Mô tả" value={values.description} error={errors?.description} />
      <TextField
        name="baseUrl"
        label="Địa chỉ gốc của dịch vụ (base URL)"
        hint="http hoặc https, máy chủ phải có trong danh sách máy chủ được phép; không kèm user:pass@, ? hay #."
        value={values.baseUrl}
        error={errors?.baseUrl}
        required
      />
      <TextArea
        name="openapi"
        label="Tài liệu OpenAPI 3 (JSON)"
        hint="Dán nội dung tệp openapi.json của dịch vụ (tối đa 1 MB); có thể để trống."
        value={values.openapi}
        error={errors?.openapi}
        rows={8}
      />
      <TextField
        name="timeoutMs"
        label="Thời gian chờ trả lời (mili giây)"
        value={values.timeoutMs ?? String(DEFAULT_TIMEOUT_MS)}
        error={errors?.timeoutMs}
        inputmode="numeric"
      />
      <TextField
        name="maxBodyBytes"
        label="Dung lượng tối đa của nội dung gửi lên (byte)"
        value={values.maxBodyBytes ?? String(DEFAULT_MAX_BODY_BYTES)}
        error={errors?.maxBodyBytes}
        inputmode="numeric"
      />
      <CheckboxField
        name="logBodies"
        label="Lưu nội dung yêu cầu và trả lời vào nhật ký trao đổi (được mã hóa)"
        hint="Không chọn: nhật ký chỉ lưu mã băm của nội dung."
        checked={values.logBodies === 'on'}
      />
      {existing ? (
        <CheckboxField name="disabled" label="Tạm ngừng dịch vụ" checked={values.disabled === 'on'} />
      ) : (
        ''
      )}
    </>
  )
}

const describeMethods = (methods: string[]) =>
  methods.includes('*') ? 'Mọi phương thức' : methods.join(', ')

function formOf(request: FastifyRequest): Form {
  return (request.body ?? {}) as Form
}

export function lgspRoutes(lgsp: LgspService, gateway: Gateway, publicUrl: string | undefined) {
  return async function routes(app: FastifyInstance) {
    const page = (request: FastifyRequest, reply: FastifyReply) => app.pageContext(request, reply)

    /** Runs a registry change from a form: invalid → the same page with the errors (422), valid → redirect. */
    const submit = async (
      request: FastifyRequest,
      reply: FastifyReply,
      change: (actor: Actor | null, form: Form) => Promise<string>,
      rerender: (errors: FieldErrors, form: Form) => Promise<JSX.Element> | JSX.Element,
      flash: string,
    ) => {
      const form = formOf(request)
      try {
        const location = await change(request.actor, form)
        return redirectWithFlash(reply, location, flash)
      } catch (error) {
        if (error instanceof ValidationError) return sendPage(reply, await rerender(error.fields, form), 422)
        throw error
      }
    }

    app.get(paths.home, async (request, reply) => {
      const registry = await lgsp.registryFor(request.actor)
      const ctx = page(request, reply)
      return sendPage(
        reply,
        <Layout ctx={ctx} title="Nền tảng tích hợp, chia sẻ dữ liệu (LGSP)" wide>
          <h1>Nền tảng tích hợp, chia sẻ dữ liệu (LGSP)</h1>
          <p>
            Các cơ quan (thành viên), hệ thống thông tin của họ, dịch vụ họ cung cấp và quyền gọi dịch vụ. Hệ
            thống gọi dịch vụ qua cổng <code safe>{gatewayPaths.prefix}</code> theo giao thức REST của X-Road.
          </p>
          <p>
            <a href={paths.newMember} class="button">
              Đăng ký thành viên
            </a>{' '}
            <a href={paths.hosts} safe>{`Máy chủ được phép (${registry.hosts.length})`}</a> ·{' '}
            <a href={paths.catalogue}>Danh mục dịch vụ cho bên tích hợp</a>
          </p>
          <h2>Thành viên</h2>
          {registry.members.length === 0 ? (
            <p>Chưa có thành viên nào.</p>
          ) : (
            <table id="members">
              <thead>
                <tr>
                  <th scope="col">Tên</th>
                  <th scope="col">Mã định danh</th>
                  <th scope="col">Hệ thống</th>
                </tr>
              </thead>
              <tbody>
                {registry.members.map((m) => (
                  <tr data-member={m.member_code}>
                    <td>
                      <a href={paths.member(m.id)} safe>
                        {m.name}
                      </a>
                    </td>
                    <td>
                      <code safe>{`${m.instance}/${m.member_class}/${m.member_code}`}</code>
                    </td>
                    <td safe>
                      {registry.subsystems
                        .filter((s) => s.member_id === m.id)
                        .map((s) => s.code)
                        .join(', ') || '—'}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h2>Dịch vụ</h2>
          {servicesTable(registry.services, gateway, ctx)}
        </Layout>,
      )
    })

    // Members.

    app.get(paths.newMember, async (request, reply) => {
      requireLgspAdmin(request.actor)
      return sendPage(reply, memberForm(page(request, reply), {}, undefined))
    })

    app.post(paths.newMember, async (request, reply) =>
      submit(
        request,
        reply,
        async (actor, form) => paths.member((await lgsp.createMember(actor, form, auditContext(request))).id),
        (errors, form) => memberForm(page(request, reply), form, errors),
        'Đã đăng ký thành viên.',
      ),
    )

    const memberPage = (
      ctx: PageContext,
      registry: Snapshot,
      memberId: string,
      errors?: FieldErrors,
      form?: Form,
    ) => {
      const member = registry.members.find((m) => m.id === memberId)
      if (!member) throw new NotFoundError('Không tìm thấy thành viên LGSP.')
      const subsystems = registry.subsystems.filter((s) => s.member_id === member.id)
      const values: Form = form ?? { name: member.name }
      return (
        <Layout ctx={ctx} title={member.name} wide>
          <Breadcrumbs items={[home, { label: member.name }]} />
          <h1 safe>{member.name}</h1>
          <p>
            Mã định danh:{' '}
            <code safe>{`${member.instance}/${member.member_class}/${member.member_code}`}</code>
          </p>
          <h2>Hệ thống thông tin</h2>
          <p>
            <a href={paths.newSubsystem(member.id)} class="button">
              Thêm hệ thống
            </a>
          </p>
          {subsystems.length === 0 ? (
            <p>Chưa có hệ thống nào.</p>
          ) : (
            <table id="subsystems">
              <thead>
                <tr>
                  <th scope="col">Mã</th>
                  <th scope="col">Tên</th>
                  <th scope="col">Ứng dụng SSO</th>
                  <th scope="col">Tình trạng</th>
                </tr>
              </thead>
              <tbody>
                {subsystems.map((s) => (
                  <tr data-subsystem={s.code}>
                    <td>
                      <a href={paths.subsystem(s.id)} safe>
                        {s.code}
                      </a>
                    </td>
                    <td safe>{s.name}</td>
                    <td>{s.sso_client_id ? <code safe>{s.sso_client_id}</code> : '—'}</td>
                    <td>{s.disabled_at ? 'Đã vô hiệu hóa' : 'Đang hoạt động'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h2>Sửa tên</h2>
          <ErrorSummary errors={errors} title={ERROR_TITLE} />
          <form method="post" action={paths.member(member.id)} novalidate>
            <CsrfField token={ctx.csrf} />
            <TextField
              name="name"
              label="Tên cơ quan, tổ chức"
              value={values.name}
              error={errors?.name}
              required
            />
            <button type="submit">Lưu thay đổi</button>
          </form>
        </Layout>
      )
    }

    app.get(paths.member(':id'), async (request, reply) => {
      const { id } = request.params as { id: string }
      const registry = await lgsp.registryFor(request.actor)
      return sendPage(reply, memberPage(page(request, reply), registry, id))
    })

    app.post(paths.member(':id'), async (request, reply) => {
      const { id } = request.params as { id: string }
      return submit(
        request,
        reply,
        async (actor, form) => {
          await lgsp.updateMember(actor, id, form, auditContext(request))
          return paths.member(id)
        },
        async (errors, form) =>
          memberPage(page(request, reply), await lgsp.registryFor(request.actor), id, errors, form),
        'Đã lưu thay đổi.',
      )
    })

    // Subsystems.

    const newSubsystemPage = async (
      request: FastifyRequest,
      reply: FastifyReply,
      memberId: string,
      values: Form,
      errors?: FieldErrors,
    ) => {
      const member = await lgsp.getMember(memberId)
      const ctx = page(request, reply)
      return (
        <Layout ctx={ctx} title="Thêm hệ thống thông tin">
          <Breadcrumbs
            items={[home, { href: paths.member(member.id), label: member.name }, { label: 'Thêm hệ thống' }]}
          />
          <h1>Thêm hệ thống thông tin</h1>
          <ErrorSummary errors={errors} title={ERROR_TITLE} />
          <form method="post" action={paths.newSubsystem(member.id)} novalidate>
            <CsrfField token={ctx.csrf} />
            {subsystemFields(values, errors, false)}
            <button type="submit">Thêm hệ thống</button>
          </form>
        </Layout>
      )
    }

    app.get(paths.newSubsystem(':id'), async (request, reply) => {
      requireLgspAdmin(request.actor)
      const { id } = request.params as { id: string }
      return sendPage(reply, await newSubsystemPage(request, reply, id, {}))
    })

    app.post(paths.newSubsystem(':id'), async (request, reply) => {
      const { id } = request.params as { id: string }
      return submit(
        request,
        reply,
        async (actor, form) =>
          paths.subsystem((await lgsp.createSubsystem(actor, id, form, auditContext(request))).id),
        (errors, form) => newSubsystemPage(request, reply, id, form, errors),
        'Đã thêm hệ thống.',
      )
    })

    const subsystemPage = (
      ctx: PageContext,
      registry: Snapshot,
      id: string,
      errors?: FieldErrors,
      form?: Form,
    ) => {
      const subsystem = registry.subsystemById.get(id)
      if (!subsystem) throw new NotFoundError('Không tìm thấy hệ thống thông tin (subsystem).')
      const values: Form = form ?? {
        name: subsystem.name,
        ssoClientId: subsystem.sso_client_id ?? '',
        rateLimitPerMinute: String(subsystem.rate_limit_per_minute),
        clientCertificate: subsystem.client_certificate ?? '',
        disabled: subsystem.disabled_at ? 'on' : undefined,
      }
      const provided = registry.services.filter((s) => s.subsystem_id === subsystem.id)
      const held = registry.rights.filter((r) => r.client_subsystem_id === subsystem.id)
      return (
        <Layout ctx={ctx} title={subsystem.name} wide>
          <Breadcrumbs
            items={[
              home,
              { href: paths.member(subsystem.member.id), label: subsystem.member.name },
              { label: subsystem.code },
            ]}
          />
          <h1 safe>{subsystem.name}</h1>
          <p>
            Mã định danh:{' '}
            <code id="subsystem-id" safe>
              {subsystem.identifier}
            </code>
          </p>
          <p id="client-certificate">
            {subsystem.client_certificate_sha256 ? (
              <>
                Chứng thư số bắt buộc (SHA-256): <code safe>{subsystem.client_certificate_sha256}</code>
              </>
            ) : (
              'Không yêu cầu chứng thư số (chỉ token SSO).'
            )}
          </p>
          <h2>Dịch vụ cung cấp</h2>
          <p>
            <a href={paths.newService(subsystem.id)} class="button">
              Thêm dịch vụ
            </a>
          </p>
          {servicesTable(provided, gateway, ctx)}
          <h2>Được phép gọi</h2>
          {held.length === 0 ? (
            <p>Hệ thống chưa được cấp quyền gọi dịch vụ nào.</p>
          ) : (
            <ul id="held-rights">
              {held.map((r) => (
                <li>
                  <a href={paths.service(r.service.id)} safe>
                    {r.service.identifier}
                  </a>{' '}
                  <span safe>{`${describeMethods(r.methods)} ${r.path_pattern}`}</span>
                </li>
              ))}
            </ul>
          )}
          <h2>Sửa thông tin</h2>
          <ErrorSummary errors={errors} title={ERROR_TITLE} />
          <form method="post" action={paths.subsystem(subsystem.id)} novalidate>
            <CsrfField token={ctx.csrf} />
            {subsystemFields(values, errors, true)}
            <button type="submit">Lưu thay đổi</button>
          </form>
        </Layout>
      )
    }

    app.get(paths.subsystem(':id'), async (request, reply) => {
      const { id } = request.params as { id: string }
      const registry = await lgsp.registryFor(request.actor)
      return sendPage(reply, subsystemPage(page(request, reply), registry, id))
    })

    app.post(paths.subsystem(':id'), async (request, reply) => {
      const { id } = request.params as { id: string }
      return submit(
        request,
        reply,
        async (actor, form) => {
          await lgsp.updateSubsystem(actor, id, form, auditContext(request))
          return paths.subsystem(id)
        },
        async (errors, form) =>
          subsystemPage(page(request, reply), await lgsp.registryFor(request.actor), id, errors, form),
        'Đã lưu thay đổi.',
      )
    })

    // Services.

    const newServicePage = async (
      request: FastifyRequest,
      reply: FastifyReply,
      subsystemId: string,
      values: Form,
      errors?: FieldErrors,
    ) => {
      const registry = await lgsp.registryFor(request.actor)
      const provider = registry.subsystemById.get(subsystemId)
      if (!provider) throw new NotFoundError('Không tìm thấy hệ thống thông tin (subsystem).')
      const ctx = page(request, reply)
      return (
        <Layout ctx={ctx} title="Thêm dịch vụ">
          <Breadcrumbs
            items={[
              home,
              { href: paths.member(provider.member.id), label: provider.member.name },
              { href: paths.subsystem(provider.id), label: provider.code },
              { label: 'Thêm dịch vụ' },
            ]}
          />
          <h1>Thêm dịch vụ</h1>
          <p>
            Hệ thống cung cấp: <code safe>{provider.identifier}</code>
          </p>
          <ErrorSummary errors={errors} title={ERROR_TITLE} />
          <form method="post" action={paths.newService(provider.id)} novalidate>
            <CsrfField token={ctx.csrf} />
            {serviceFields(values, errors, false)}
            <button type="submit">Thêm dịch vụ</button>
          </form>
        </Layout>
      )
    }

    app.get(paths.newService(':id'), async (request, reply) => {
      const { id } = request.params as { id: string }
      return sendPage(reply, await newServicePage(request, reply, id, {}))
    })

    app.post(paths.newService(':id'), async (request, reply) => {
      const { id } = request.params as { id: string }
      return submit(
        request,
        reply,
        async (actor, form) =>
          paths.service((await lgsp.createService(actor, id, form, auditContext(request))).id),
        (errors, form) => newServicePage(request, reply, id, form, errors),
        'Đã thêm dịch vụ.',
      )
    })

    const servicePage = (
      ctx: PageContext,
      registry: Snapshot,
      id: string,
      errors?: FieldErrors,
      form?: Form,
      rightErrors?: FieldErrors,
      rightForm?: Form,
    ) => {
      const service = registry.serviceById.get(id)
      if (!service) throw new NotFoundError('Không tìm thấy dịch vụ.')
      const values: Form = form ?? {
        version: service.version,
        title: service.title,
        description: service.description ?? '',
        baseUrl: service.base_url,
        openapi: service.openapi ? JSON.stringify(service.openapi, null, 2) : '',
        timeoutMs: String(service.timeout_ms),
        maxBodyBytes: String(service.max_body_bytes),
        logBodies: service.log_bodies ? 'on' : undefined,
        disabled: service.disabled_at ? 'on' : undefined,
      }
      const rights = registry.rightsByService.get(service.id) ?? []
      const health = gateway.health.get(service.id)
      const clients = registry.subsystems.filter((s) => s.sso_client_id && !s.disabled_at)
      return (
        <Layout ctx={ctx} title={service.title} wide>
          <Breadcrumbs
            items={[
              home,
              { href: paths.member(service.provider.member.id), label: service.provider.member.name },
              { href: paths.subsystem(service.provider.id), label: service.provider.code },
              { label: service.code },
            ]}
          />
          <h1 safe>{service.title}</h1>
          <dl>
            <dt>Mã định danh</dt>
            <dd>
              <code id="service-id" safe>
                {service.identifier}
              </code>
            </dd>
            <dt>Địa chỉ gọi qua LGSP</dt>
            <dd>
              <code safe>{gatewayPaths.service(service.identifier)}</code>
            </dd>
            <dt>Tình trạng máy chủ cung cấp (tiến trình này)</dt>
            <dd id="service-health" data-state={health.state}>
              <span>{healthText[health.state]}</span>
              {health.lastFailure ? <span safe>{` — lỗi gần nhất: ${health.lastFailure}`}</span> : ''}
            </dd>
          </dl>
          <h2>Quyền gọi dịch vụ</h2>
          {rights.length === 0 ? (
            <p>Chưa hệ thống nào được phép gọi dịch vụ này.</p>
          ) : (
            <table id="rights">
              <thead>
                <tr>
                  <th scope="col">Hệ thống được phép</th>
                  <th scope="col">Phương thức</th>
                  <th scope="col">Đường dẫn</th>
                  <th scope="col">Thao tác</th>
                </tr>
              </thead>
              <tbody>
                {rights.map((r) => (
                  <tr data-client={r.client.identifier}>
                    <td>
                      <code safe>{r.client.identifier}</code>
                    </td>
                    <td safe>{describeMethods(r.methods)}</td>
                    <td>
                      <code safe>{r.path_pattern}</code>
                    </td>
                    <td>
                      <PostButton
                        action={paths.revokeRight(r.id)}
                        csrf={ctx.csrf}
                        label="Thu hồi"
                        variant="danger"
                      />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h3>Cấp quyền</h3>
          <ErrorSummary errors={rightErrors} title={ERROR_TITLE} />
          <form method="post" action={paths.serviceRights(service.id)} novalidate>
            <CsrfField token={ctx.csrf} />
            <SelectField
              name="client"
              label="Hệ thống được phép gọi"
              value={rightForm?.client}
              error={rightErrors?.client}
              emptyLabel="— Chọn hệ thống —"
              options={clients.map((s: Subsystem) => ({ value: s.id, label: `${s.identifier} (${s.name})` }))}
            />
            <TextField
              name="methods"
              label="Phương thức"
              hint="* cho mọi phương thức, hoặc liệt kê: GET, POST…"
              value={rightForm?.methods ?? '*'}
              error={rightErrors?.methods}
            />
            <TextField
              name="pathPattern"
              label="Mẫu đường dẫn"
              hint="/** mọi đường dẫn; /ho-so/* một đoạn bất kỳ; /ho-so/** nhiều đoạn."
              value={rightForm?.pathPattern ?? '/**'}
              error={rightErrors?.pathPattern}
            />
            <button type="submit">Cấp quyền</button>
          </form>
          <h2>Sửa dịch vụ</h2>
          <ErrorSummary errors={errors} title={ERROR_TITLE} />
          <form method="post" action={paths.service(service.id)} novalidate>
            <CsrfField token={ctx.csrf} />
            {serviceFields(values, errors, true)}
            <button type="submit">Lưu thay đổi</button>
          </form>
        </Layout>
      )
    }

    app.get(paths.service(':id'), async (request, reply) => {
      const { id } = request.params as { id: string }
      const registry = await lgsp.registryFor(request.actor)
      return sendPage(reply, servicePage(page(request, reply), registry, id))
    })

    app.post(paths.service(':id'), async (request, reply) => {
      const { id } = request.params as { id: string }
      return submit(
        request,
        reply,
        async (actor, form) => {
          await lgsp.updateService(actor, id, form, auditContext(request))
          return paths.service(id)
        },
        async (errors, form) =>
          servicePage(page(request, reply), await lgsp.registryFor(request.actor), id, errors, form),
        'Đã lưu thay đổi của dịch vụ.',
      )
    })

    app.post(paths.serviceRights(':id'), async (request, reply) => {
      const { id } = request.params as { id: string }
      return submit(
        request,
        reply,
        async (actor, form) => {
          await lgsp.grantAccess(actor, id, form, auditContext(request))
          return paths.service(id)
        },
        async (errors, form) =>
          servicePage(
            page(request, reply),
            await lgsp.registryFor(request.actor),
            id,
            undefined,
            undefined,
            errors,
            form,
          ),
        'Đã cấp quyền gọi dịch vụ.',
      )
    })

    app.post(paths.revokeRight(':id'), async (request, reply) => {
      const { id } = request.params as { id: string }
      const right = await lgsp.revokeAccess(request.actor, id, auditContext(request))
      return redirectWithFlash(reply, paths.service(right.service_id), 'Đã thu hồi quyền gọi dịch vụ.')
    })

    // Allowed hosts.

    const hostsPage = async (
      request: FastifyRequest,
      reply: FastifyReply,
      errors?: FieldErrors,
      form: Form = {},
    ) => {
      const registry = await lgsp.registryFor(request.actor)
      const ctx = page(request, reply)
      return (
        <Layout ctx={ctx} title="Máy chủ được phép" wide>
          <Breadcrumbs items={[home, { label: 'Máy chủ được phép' }]} />
          <h1>Máy chủ được phép</h1>
          <p>
            Dịch vụ chỉ được trỏ tới các máy chủ trong danh sách này. Mục dạng <code>*.tên-miền</code> cho
            phép mọi máy chủ bên dưới, trừ khi tên đó trỏ tới địa chỉ nội bộ (127.0.0.0/8, 10.0.0.0/8,
            192.168.0.0/16…): máy chủ nội bộ phải được ghi đúng tên.
          </p>
          {registry.hosts.length === 0 ? (
            <p>Chưa có máy chủ nào.</p>
          ) : (
            <table id="hosts">
              <thead>
                <tr>
                  <th scope="col">Máy chủ</th>
                  <th scope="col">Ghi chú</th>
                  <th scope="col">Thêm lúc</th>
                  <th scope="col">Thao tác</th>
                </tr>
              </thead>
              <tbody>
                {registry.hosts.map((h) => (
                  <tr data-host={h.host}>
                    <td>
                      <code safe>{h.host}</code>
                    </td>
                    <td safe>{h.note ?? ''}</td>
                    <td safe>{formatDateTime(h.created_at, ctx.lang)}</td>
                    <td>
                      <PostButton
                        action={paths.removeHost(h.host)}
                        csrf={ctx.csrf}
                        label="Xóa"
                        variant="danger"
                      />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h2>Thêm máy chủ</h2>
          <ErrorSummary errors={errors} title={ERROR_TITLE} />
          <form method="post" action={paths.hosts} novalidate>
            <CsrfField token={ctx.csrf} />
            <TextField
              name="host"
              label="Máy chủ"
              hint="api.sokhcn.caobang.gov.vn, 10.4.0.12:8080, [fd00::12]:443 hoặc *.caobang.gov.vn"
              value={form.host}
              error={errors?.host}
              required
            />
            <TextField name="note" label="Ghi chú" value={form.note} />
            <button type="submit">Thêm</button>
          </form>
        </Layout>
      )
    }

    app.get(paths.hosts, async (request, reply) => sendPage(reply, await hostsPage(request, reply)))

    app.post(paths.hosts, async (request, reply) =>
      submit(
        request,
        reply,
        async (actor, form) => {
          await lgsp.allowHost(actor, form, auditContext(request))
          return paths.hosts
        },
        (errors, form) => hostsPage(request, reply, errors, form),
        'Đã thêm máy chủ vào danh sách được phép.',
      ),
    )

    app.post('/admin/lgsp/hosts/remove', async (request, reply) => {
      const host = String((request.query as { host?: string }).host ?? '')
      await lgsp.removeHost(request.actor, host, auditContext(request))
      return redirectWithFlash(reply, paths.hosts, `Đã xóa ${host} khỏi danh sách máy chủ được phép.`)
    })

    // The public catalogue for integrators.

    app.get(paths.catalogue, async (request, reply) => {
      const registry = await lgsp.snapshot()
      const services = registry.services.filter((s) => !s.disabled_at && !s.provider.disabled_at)
      const ctx = page(request, reply)
      return sendPage(
        reply,
        <Layout ctx={ctx} title="Danh mục dịch vụ chia sẻ dữ liệu" wide>
          <h1>Danh mục dịch vụ chia sẻ dữ liệu (LGSP)</h1>
          <p>
            Hệ thống của cơ quan, đơn vị gọi dịch vụ qua nền tảng tích hợp theo giao thức REST của X-Road:{' '}
            <code>{'{PHƯƠNG THỨC} /r1/{INSTANCE}/{CLASS}/{MEMBER}/{SUBSYSTEM}/{SERVICE}/đường-dẫn'}</code>,
            kèm tiêu đề <code>X-Road-Client: INSTANCE/CLASS/MEMBER/SUBSYSTEM</code> và{' '}
            <code>Authorization: Bearer …</code> (token client credentials, phạm vi <code>lgsp</code>, từ{' '}
            <code>/oidc/token</code>). Quyền gọi do quản trị viên cấp cho từng hệ thống. Tra cứu:{' '}
            <code safe>{gatewayPaths.listClients}</code>, <code>…/listMethods</code>,{' '}
            <code>…/allowedMethods</code>, <code>…/getOpenAPI?serviceCode=…</code>.
          </p>
          {services.length === 0 ? (
            <p>Chưa có dịch vụ nào.</p>
          ) : (
            <table id="catalogue">
              <thead>
                <tr>
                  <th scope="col">Dịch vụ</th>
                  <th scope="col">Cơ quan cung cấp</th>
                  <th scope="col">Mã định danh</th>
                  <th scope="col">Phiên bản</th>
                  <th scope="col">OpenAPI</th>
                </tr>
              </thead>
              <tbody>
                {services.map((s) => (
                  <tr data-service={s.identifier}>
                    <td>
                      <strong safe>{s.title}</strong>
                      {s.description ? (
                        <p class="hint" safe>
                          {s.description}
                        </p>
                      ) : (
                        ''
                      )}
                    </td>
                    <td safe>{s.provider.member.name}</td>
                    <td>
                      <code safe>{s.identifier}</code>
                    </td>
                    <td safe>{s.version}</td>
                    <td>{s.openapi ? <a href={paths.catalogueOpenApi(s.id)}>openapi.json</a> : 'Chưa có'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Layout>,
      )
    })

    app.get(paths.catalogueOpenApi(':id'), async (request, reply) => {
      const { id } = request.params as { id: string }
      const service = (await lgsp.snapshot()).serviceById.get(id)
      if (!service?.openapi || service.disabled_at)
        throw new NotFoundError('Dịch vụ chưa có tài liệu OpenAPI.')
      return reply
        .type('application/json; charset=utf-8')
        .send(JSON.stringify(openApiForClients(service, publicBase(request)), null, 2))
    })

    const publicBase = (request: FastifyRequest) =>
      (publicUrl ?? `${request.protocol}://${request.host}`).replace(/\/+$/, '')
  }
}

function servicesTable(services: Service[], gateway: Gateway, ctx: PageContext) {
  if (services.length === 0) return <p>Chưa có dịch vụ nào.</p>
  return (
    <table class="services">
      <thead>
        <tr>
          <th scope="col">Dịch vụ</th>
          <th scope="col">Mã định danh</th>
          <th scope="col">Phiên bản</th>
          <th scope="col">Máy chủ</th>
          <th scope="col">Tình trạng</th>
          <th scope="col">Cập nhật</th>
        </tr>
      </thead>
      <tbody>
        {services.map((s) => {
          const health = gateway.health.get(s.id)
          return (
            <tr data-service={s.identifier}>
              <td>
                <a href={paths.service(s.id)} safe>
                  {s.title}
                </a>
              </td>
              <td>
                <code safe>
                  {formatServiceId({
                    instance: s.provider.member.instance,
                    memberClass: s.provider.member.member_class,
                    memberCode: s.provider.member.member_code,
                    subsystemCode: s.provider.code,
                    serviceCode: s.code,
                  })}
                </code>
              </td>
              <td safe>{s.version}</td>
              <td>
                <code safe>{new URL(s.base_url).host}</code>
              </td>
              <td>{s.disabled_at ? 'Tạm ngừng' : healthText[health.state]}</td>
              <td safe>{formatDateTime(s.updated_at, ctx.lang)}</td>
            </tr>
          )
        })}
      </tbody>
    </table>
  )
}
