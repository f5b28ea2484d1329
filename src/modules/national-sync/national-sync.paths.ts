/** Every address the national synchronisation serves. */
export const nationalSyncPaths = {
  status: '/admin/lgsp/national-sync',
  redrive: '/admin/lgsp/national-sync/redrive',
  api: { status: '/national-sync/status' },
}
