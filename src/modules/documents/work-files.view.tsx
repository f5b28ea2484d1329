import { translator, type Lang } from '../../platform/i18n/index.js'
import { meetingMessages } from './meetings.locales.js'
import { meetingPaths } from './meetings.paths.js'
import { workFileMessages } from './work-files.locales.js'
import { workFilePaths } from './work-files.paths.js'

/** On the documents queue: the unit's work files, their share processed electronically, my meetings. */
export function WorkFilesLinks(props: { lang: Lang }) {
  const t = translator(workFileMessages, props.lang)
  const m = translator(meetingMessages, props.lang)
  return (
    <ul class="cards" id="work-files-links">
      <li>
        <a href={workFilePaths.list} safe>
          {t('listTitle')}
        </a>
      </li>
      <li>
        <a href={workFilePaths.stats} safe>
          {t('stats')}
        </a>
      </li>
      <li>
        <a href={meetingPaths.mine} safe>
          {m('mineTitle')}
        </a>
      </li>
    </ul>
  )
}
