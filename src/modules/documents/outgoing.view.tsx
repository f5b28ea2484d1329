import { translator, type Lang } from '../../platform/i18n/index.js'
import { outgoingMessages } from './outgoing.locales.js'
import { outgoingPaths } from './outgoing.paths.js'

/**
 * On an incoming document's page: draft a reply (it links back here once issued), or, for the clerk,
 * refuse a document received from another agency before it is assigned (status 02 to the sender).
 */
export function OutgoingLinks(props: {
  document: { id: string; status: string; source: string }
  canReply: boolean
  canRefuse: boolean
  lang: Lang
}) {
  const t = translator(outgoingMessages, props.lang)
  const { document: d } = props
  const reply = props.canReply && d.status !== 'refused'
  const refuse =
    props.canRefuse && d.status === 'registered' && (d.source === 'edxml' || d.source === 'internal')
  if (!reply && !refuse) return ''
  return (
    <p class="actions" id="outgoing-links">
      {reply ? (
        <a href={outgoingPaths.replyTo(d.id)} class="button secondary" safe>
          {t('draftReply')}
        </a>
      ) : (
        ''
      )}{' '}
      {refuse ? (
        <a href={outgoingPaths.refuse(d.id)} class="button danger" safe>
          {t('refuseTitle')}
        </a>
      ) : (
        ''
      )}
    </p>
  )
}

/** The queue page's way to outgoing documents. */
export function OutgoingCard(props: { lang: Lang }) {
  const t = translator(outgoingMessages, props.lang)
  return (
    <li>
      <a href={outgoingPaths.list} safe>
        {t('listTitle')}
      </a>
    </li>
  )
}

/** One place in the approval chain: every select is named `chain`, so the form sends them in order. */
export function ChainSelect(props: {
  index: number
  label: string
  options: readonly { value: string; label: string }[]
  value?: string | undefined
}) {
  const id = `chain-${props.index + 1}`
  return (
    <div class="field">
      <label for={id} safe>
        {props.label}
      </label>
      <select id={id} name="chain">
        <option value="">—</option>
        {props.options.map((o) => (
          <option value={o.value} selected={o.value === props.value} safe>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  )
}
