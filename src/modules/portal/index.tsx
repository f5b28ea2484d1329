import type { FastifyInstance } from 'fastify'
import { hasRole } from '../../platform/auth/actor.js'
import { sendPage } from '../../platform/http/plugin.js'
import { defineMessages, translator } from '../../platform/i18n/index.js'
import type { ModuleDeps } from '../../platform/module.js'
import { Layout, paths } from '../../platform/views/layout.js'

const messages = defineMessages(
  {
    title: 'Trang chủ',
    heading: 'Chính quyền số tỉnh Cao Bằng',
    lead: 'Một nền tảng cho người dân, doanh nghiệp và cán bộ: dịch vụ công trực tuyến, một cửa điện tử, văn bản điều hành và chia sẻ dữ liệu.',
    citizens: 'Người dân và doanh nghiệp',
    citizensBody: 'Đăng ký tài khoản bằng số định danh cá nhân để nộp và theo dõi hồ sơ thủ tục hành chính.',
    officials: 'Cán bộ, công chức',
    officialsBody: 'Đăng nhập để xử lý công việc tại đơn vị của bạn.',
    developers: 'Nhà phát triển',
    developersBody: 'API JSON có tài liệu OpenAPI 3 cho các hệ thống kết nối.',
    openBackoffice: 'Vào trang cán bộ',
    signedInAs: 'Bạn đang đăng nhập với tên {name}.',
  },
  {
    title: 'Home',
    heading: 'Cao Bằng Province Digital Government',
    lead: 'One platform for citizens, businesses and officials: online public services, the one-stop shop, official documents and data sharing.',
    citizens: 'Citizens and businesses',
    citizensBody:
      'Register with your personal identification number to submit and track administrative procedures.',
    officials: 'Officials',
    officialsBody: 'Sign in to handle the work of your unit.',
    developers: 'Developers',
    developersBody: 'A JSON API documented with OpenAPI 3 for connected systems.',
    openBackoffice: 'Open the back office',
    signedInAs: 'You are signed in as {name}.',
  },
)

/** The public front page of the portal. */
export function createPortalModule(_deps: ModuleDeps) {
  return {
    routes: async (app: FastifyInstance) => {
      app.get(paths.home, async (request, reply) => {
        const ctx = app.pageContext(request, reply)
        const t = translator(messages, ctx.lang)
        const actor = ctx.actor
        return sendPage(
          reply,
          <Layout ctx={ctx} title={t('title')}>
            <h1 safe>{t('heading')}</h1>
            <p class="lead" safe>
              {t('lead')}
            </p>
            {actor ? (
              <div class="notice">
                <p safe>{t('signedInAs', { name: actor.fullName })}</p>
                {actor.kind === 'official' && !hasRole(actor, 'citizen') ? (
                  <p>
                    <a class="button" href={paths.backoffice} safe>
                      {t('openBackoffice')}
                    </a>
                  </p>
                ) : (
                  ''
                )}
              </div>
            ) : (
              ''
            )}
            <ul class="cards">
              <li>
                <h2 safe>{t('citizens')}</h2>
                <p safe>{t('citizensBody')}</p>
                <a href={paths.register} safe>
                  {translator(messages, ctx.lang)('citizens')}
                </a>
              </li>
              <li>
                <h2 safe>{t('officials')}</h2>
                <p safe>{t('officialsBody')}</p>
                <a href={paths.login} safe>
                  {t('officials')}
                </a>
              </li>
              <li>
                <h2 safe>{t('developers')}</h2>
                <p safe>{t('developersBody')}</p>
                <a href={paths.apiDocs}>API</a>
              </li>
            </ul>
          </Layout>,
        )
      })
    },
  }
}
