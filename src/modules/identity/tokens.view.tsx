import type { Lang } from '../../platform/i18n/index.js'
import { translator } from '../../platform/i18n/index.js'
import { PostButton } from '../../platform/views/components.js'
import { formatDateTime } from '../../platform/views/format.js'
import type { listAccessTokens } from './identity.repository.js'
import { messages } from './identity.locales.js'

type TokenRow = Awaited<ReturnType<typeof listAccessTokens>>[number]

/** A user's personal access tokens, on their own account page and on an administrator's view of them. */
export function TokenTable(props: {
  tokens: TokenRow[]
  lang: Lang
  csrf: string
  now: Date
  revokeAction: (tokenId: string) => string
}) {
  const t = translator(messages, props.lang)
  if (props.tokens.length === 0) return <p safe>{t('noTokens')}</p>
  return (
    <table>
      <thead>
        <tr>
          <th scope="col" safe>
            {t('tokenName')}
          </th>
          <th scope="col" safe>
            {t('tokenPrefix')}
          </th>
          <th scope="col" safe>
            {t('expiresAt')}
          </th>
          <th scope="col" safe>
            {t('lastUsed')}
          </th>
          <th scope="col" safe>
            {t('status')}
          </th>
        </tr>
      </thead>
      <tbody>
        {props.tokens.map((token) => (
          <tr>
            <td safe>{token.name}</td>
            <td>
              <code safe>{`${token.prefix}…`}</code>
            </td>
            <td safe>{formatDateTime(token.expires_at, props.lang)}</td>
            <td safe>{token.last_used_at ? formatDateTime(token.last_used_at, props.lang) : t('never')}</td>
            <td>
              {token.revoked_at ? (
                <span safe>{t('revoked')}</span>
              ) : token.expires_at <= props.now ? (
                <span safe>{t('expired')}</span>
              ) : (
                <PostButton
                  action={props.revokeAction(token.id)}
                  csrf={props.csrf}
                  label={t('revoke')}
                  variant="link"
                />
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
