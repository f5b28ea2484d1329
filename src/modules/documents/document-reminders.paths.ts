/** The reminders' own action; the reminders themselves are shown on the documents queue (`documentPaths.queue`). */
export const reminderPaths = {
  markRead: '/admin/documents/reminders/read',
}
