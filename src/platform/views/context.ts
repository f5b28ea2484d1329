import type { Actor } from '../auth/actor.js'
import type { Lang } from '../i18n/index.js'

/** What every page needs from its request to render the layout and its forms. */
export type PageContext = {
  lang: Lang
  path: string
  csrf: string
  actor: Actor | null
  requestId: string
  flash: string | null
}
