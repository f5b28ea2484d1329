import type { FastifyInstance } from 'fastify'
import { authorize, UnauthenticatedError } from '../../platform/auth/actor.js'
import { Permission } from '../../platform/auth/roles.js'
import { redirectWithFlash } from '../../platform/http/plugin.js'
import { translator } from '../../platform/i18n/index.js'
import type { DocumentRemindersService } from './document-reminders.js'
import { reminderMessages } from './document-reminders.locales.js'
import { reminderPaths } from './document-reminders.paths.js'
import { documentPaths } from './documents.paths.js'

/** Marking reminders seen; the list itself is part of the queue page (`documents.routes.tsx`). */
export function documentRemindersRoutes(reminders: DocumentRemindersService) {
  return async function routes(app: FastifyInstance) {
    app.post(reminderPaths.markRead, async (request, reply) => {
      if (!request.actor) throw new UnauthenticatedError()
      authorize(request.actor, Permission.backofficeAccess)
      const count = await reminders.markRead(request.actor)
      const t = translator(reminderMessages, request.lang)
      return redirectWithFlash(
        reply,
        documentPaths.queue,
        count > 0 ? t('markedRead', { count }) : t('nothingToMark'),
      )
    })
  }
}
