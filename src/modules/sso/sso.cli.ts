import { parseArgs } from 'node:util'
import type { AuditContext } from '../../platform/audit/audit.js'
import type { ModuleDeps } from '../../platform/module.js'
import { createClientsService, parseClientInput } from './sso.clients.js'
import { createKeyStore } from './sso.keys.js'
import { KEY_RETIREMENT_SECONDS } from './sso.provider.js'
import { issuerOf } from './sso.service.js'

export const SSO_USAGE = `  sso client create --name "TÊN" --grant authorization_code|client_credentials
             [--redirect-uri URI]... [--post-logout-uri URI]... [--backchannel-logout-uri URI]
             [--home-url URI] [--scope "openid profile …"] [--first-party]
  sso client list | sso client disable CLIENT_ID
  sso keys rotate | sso keys list          khóa ký của SSO: thêm khóa mới, giữ khóa cũ đến khi token hết hạn`

type Output = { out: (line: string) => void; err: (line: string) => void }

/**
 * `sso client …` and `sso keys …`; returns the exit code. The caller opens (and migrates) the database;
 * a running server picks up a rotated key within a minute.
 */
export async function runSsoCommand(
  args: string[],
  deps: ModuleDeps,
  context: AuditContext,
  { out, err }: Output = { out: console.log, err: console.error },
): Promise<number> {
  const [what, action, ...rest] = args
  if (what === 'client') {
    const clients = createClientsService(deps)
    if (action === 'create') {
      const { values } = parseArgs({
        args: rest,
        options: {
          name: { type: 'string' },
          description: { type: 'string' },
          grant: { type: 'string' },
          'redirect-uri': { type: 'string', multiple: true },
          'post-logout-uri': { type: 'string', multiple: true },
          'backchannel-logout-uri': { type: 'string' },
          'home-url': { type: 'string' },
          scope: { type: 'string' },
          'first-party': { type: 'boolean', default: false },
        },
      })
      const input = parseClientInput({
        name: values.name,
        description: values.description,
        kind: values.grant,
        redirectUris: values['redirect-uri'] ?? [],
        postLogoutRedirectUris: values['post-logout-uri'] ?? [],
        backchannelLogoutUri: values['backchannel-logout-uri'],
        homeUrl: values['home-url'],
        scopes: values.scope,
        firstParty: values['first-party'],
      })
      const { client, secret } = await clients.createClientTrusted(input, context)
      out(`Đã đăng ký ứng dụng "${client.name}".`)
      out(`issuer:        ${issuerOf(deps.config)}`)
      out(`client_id:     ${client.client_id}`)
      out(`client_secret: ${secret}`)
      out('Khóa bí mật chỉ hiển thị một lần (the secret is shown only once).')
      return 0
    }
    if (action === 'list') {
      for (const client of await clients.listAllTrusted()) {
        out(
          [client.client_id, client.kind, client.disabled_at ? 'disabled' : 'active', client.name].join('\t'),
        )
      }
      return 0
    }
    if (action === 'disable' && rest[0]) {
      await clients.setDisabledTrusted(rest[0], true, context)
      out(`Đã vô hiệu hóa ứng dụng ${rest[0]}; các token của ứng dụng đã bị thu hồi.`)
      return 0
    }
  }
  if (what === 'keys') {
    const keys = createKeyStore({ db: deps.db, clock: deps.clock, secretKey: deps.config.secretKey })
    if (action === 'rotate') {
      await keys.ensureKeys()
      const { added, retired } = await keys.rotate(KEY_RETIREMENT_SECONDS)
      out(`Khóa ký mới: ${added.join(', ')}`)
      out(
        `Khóa cũ vẫn được công bố trong JWKS thêm ${Math.round(KEY_RETIREMENT_SECONDS / 60)} phút: ${retired.join(', ') || '(không có)'}`,
      )
      return 0
    }
    if (action === 'list') {
      for (const key of await keys.list()) {
        const state = key.retiredAt
          ? `retired ${key.retiredAt.toISOString()}, published until ${key.retireUntil?.toISOString() ?? '-'}`
          : 'current'
        out(`${key.kid}\t${key.alg}\t${key.createdAt.toISOString()}\t${state}`)
      }
      return 0
    }
  }
  err(`Cách dùng / usage:\n${SSO_USAGE}`)
  return 2
}
