import type { NotificationStatus } from './notifications.tables.js'

/** Every address the notifications module serves; links are built here, never by hand. */
export const notificationPaths = {
  mine: '/account/notifications',
  admin: '/admin/notifications',
  adminList: (query: { status?: NotificationStatus; beforeAt?: Date; beforeId?: string }) => {
    const params = new URLSearchParams()
    if (query.status) params.set('status', query.status)
    if (query.beforeAt && query.beforeId) {
      params.set('beforeAt', query.beforeAt.toISOString())
      params.set('beforeId', query.beforeId)
    }
    const search = params.toString()
    return search ? `/admin/notifications?${search}` : '/admin/notifications'
  },
  mineOlder: (beforeAt: Date, beforeId: string) =>
    `/account/notifications?${new URLSearchParams({ beforeAt: beforeAt.toISOString(), beforeId }).toString()}`,
  retry: (id: string) => `/admin/notifications/${id}/retry`,
}
