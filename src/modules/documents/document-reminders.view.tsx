import { translator, type Lang } from '../../platform/i18n/index.js'
import { PostButton } from '../../platform/views/components.js'
import { formatDateTime } from '../../platform/views/format.js'
import { roleLabel } from './document-rules.js'
import type { UnreadReminder } from './document-reminders.js'
import { reminderMessages } from './document-reminders.locales.js'
import { reminderPaths } from './document-reminders.paths.js'
import { documentPaths } from './documents.paths.js'

/** On the documents queue: the official's unread reminders, with one button to mark them all seen. */
export function RemindersPanel(props: { reminders: readonly UnreadReminder[]; lang: Lang; csrf: string }) {
  const { reminders, lang } = props
  if (reminders.length === 0) return ''
  const t = translator(reminderMessages, lang)
  const overdue = reminders.filter((r) => r.kind === 'overdue').length
  return (
    <section id="reminders" class="notice" aria-labelledby="reminders-title">
      <h2 id="reminders-title" safe>
        {t('title')}
      </h2>
      <p safe>{t('intro', { count: reminders.length, dueSoon: reminders.length - overdue, overdue })}</p>
      <ul>
        {reminders.map((r) => (
          <li class={`state-${r.kind}`} data-kind={r.kind}>
            <span class={`tag tag-${r.kind}`} safe>
              {t(`kind_${r.kind}`)}
            </span>{' '}
            <a href={documentPaths.document(r.document_id)} safe>
              {`${r.code_number}/${r.code_notation}`}
            </a>{' '}
            <span safe>{`— ${r.summary}`}</span>
            <br />
            <span class="muted" safe>
              {`${t('assignee')}: ${r.assignee_name} (${roleLabel[r.role]}). ${t('dueAt')}: ${formatDateTime(r.due_at, lang)}.`}
            </span>
          </li>
        ))}
      </ul>
      <PostButton action={reminderPaths.markRead} csrf={props.csrf} label={t('markRead')} />
    </section>
  )
}
