import type { Children } from '@kitajs/html'
import { hasRole } from '../auth/actor.js'
import { common } from '../i18n/common.js'
import { translator } from '../i18n/index.js'
import type { PageContext } from './context.js'
import { CsrfField, Notice } from './components.js'
import { assetUrl } from './assets.js'

export const paths = {
  home: '/',
  login: '/login',
  logout: '/logout',
  register: '/register',
  account: '/account',
  dataStore: '/account/store',
  backoffice: '/admin',
  apiDocs: '/api/docs',
  language: (lang: string, next: string) => `/lang/${lang}?next=${encodeURIComponent(next)}`,
}

type LayoutProps = { ctx: PageContext; title: string; children: Children; wide?: boolean }

export function Layout({ ctx, title, children, wide }: LayoutProps) {
  const t = translator(common, ctx.lang)
  const other = ctx.lang === 'vi' ? 'en' : 'vi'
  const here = ctx.path.split('?')[0]
  const current = (href: string) => (here === href ? 'page' : undefined)
  const official = ctx.actor && ctx.actor.kind === 'official' && !hasRole(ctx.actor, 'citizen')
  return (
    <>
      {'<!doctype html>'}
      <html lang={ctx.lang}>
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title safe>{`${title} – ${t('siteName')}`}</title>
          <link rel="stylesheet" href={assetUrl('app.css')} />
        </head>
        <body>
          <a class="skip-link" href="#main" safe>
            {t('skipToContent')}
          </a>
          <header class="site-header">
            <div class="container header-row">
              <a class="brand" href={paths.home}>
                <span class="brand-province" safe>
                  {t('province')}
                </span>
                <span class="brand-name" safe>
                  {t('siteName')}
                </span>
              </a>
              <a class="lang-switch" href={paths.language(other, ctx.path)} lang={other} hreflang={other}>
                <span aria-hidden="true" safe>
                  {t('switchLanguage')}
                </span>
                <span class="visually-hidden" safe>
                  {t('switchLanguageLabel')}
                </span>
              </a>
            </div>
            <nav class="container main-nav" aria-label={t('mainNav')}>
              <ul>
                <li>
                  <a href={paths.home} aria-current={current(paths.home)} safe>
                    {t('navHome')}
                  </a>
                </li>
                <li>
                  <a href="/procedures" aria-current={current('/procedures')} safe>
                    {t('navProcedures')}
                  </a>
                </li>
                <li>
                  <a href="/track" aria-current={current('/track')} safe>
                    {t('navTrack')}
                  </a>
                </li>
                {official ? (
                  <li>
                    <a href={paths.backoffice} aria-current={current(paths.backoffice)} safe>
                      {t('navBackoffice')}
                    </a>
                  </li>
                ) : (
                  ''
                )}
                {ctx.actor && !official ? (
                  <li>
                    <a href={paths.dataStore} aria-current={current(paths.dataStore)} safe>
                      {t('navDataStore')}
                    </a>
                  </li>
                ) : (
                  ''
                )}
                {ctx.actor ? (
                  <>
                    <li>
                      <a href={paths.account} aria-current={current(paths.account)} safe>
                        {t('navAccount')}
                      </a>
                    </li>
                    <li>
                      <form method="post" action={paths.logout} class="inline-form">
                        <CsrfField token={ctx.csrf} />
                        <button type="submit" class="link" safe>
                          {t('navLogout')}
                        </button>
                      </form>
                    </li>
                  </>
                ) : (
                  <>
                    <li>
                      <a href={paths.login} aria-current={current(paths.login)} safe>
                        {t('navLogin')}
                      </a>
                    </li>
                    <li>
                      <a href={paths.register} aria-current={current(paths.register)} safe>
                        {t('navRegister')}
                      </a>
                    </li>
                  </>
                )}
                <li>
                  <a href={paths.apiDocs} aria-current={current(paths.apiDocs)} safe>
                    {t('navApiDocs')}
                  </a>
                </li>
              </ul>
            </nav>
          </header>
          <main id="main" class={wide ? 'container wide' : 'container'} tabindex="-1">
            {ctx.flash ? (
              <Notice>
                <p safe>{ctx.flash}</p>
              </Notice>
            ) : (
              ''
            )}
            {children}
          </main>
          <footer class="site-footer">
            <div class="container">
              <p safe>{t('footerOwner')}</p>
              <p safe>{t('footerAddress')}</p>
              <p>
                <a href="/calendar" safe>
                  {t('footerCalendar')}
                </a>
              </p>
              <p class="muted" safe>
                {t('footerNote')}
              </p>
            </div>
          </footer>
        </body>
      </html>
    </>
  )
}

/** 404, 403, 500 and other error pages, in the reader's language. */
export function ErrorPage(props: { ctx: PageContext; title: string; body: string }) {
  const t = translator(common, props.ctx.lang)
  return (
    <Layout ctx={props.ctx} title={props.title}>
      <h1 safe>{props.title}</h1>
      <p safe>{props.body}</p>
      <p class="muted">
        <span safe>{t('requestId')}</span>: <code safe>{props.ctx.requestId}</code>
      </p>
      <p>
        <a href={paths.home} safe>
          {t('backHome')}
        </a>
      </p>
    </Layout>
  )
}
