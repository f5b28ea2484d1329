/** Paperless-meeting pages (officials); the API is under /api/v1/meetings. */
export const meetingPaths = {
  mine: '/admin/documents/meetings',
  create: '/admin/documents/meetings/new',
  meeting: (id: string) => `/admin/documents/meetings/${id}`,
  respond: (id: string) => `/admin/documents/meetings/${id}/response`,
  documents: (id: string) => `/admin/documents/meetings/${id}/documents`,
  file: (id: string, itemId: string, fileId?: string) =>
    `/admin/documents/meetings/${id}/documents/${itemId}${fileId ? `/files/${fileId}` : ''}`,
  minutes: (id: string) => `/admin/documents/meetings/${id}/minutes`,
  cancel: (id: string) => `/admin/documents/meetings/${id}/cancel`,
  edit: (id: string) => `/admin/documents/meetings/${id}/edit`,
  calendar: (id: string) => `/admin/documents/meetings/${id}/calendar.ics`,
  removeDocument: (id: string, itemId: string) =>
    `/admin/documents/meetings/${id}/documents/${itemId}/remove`,
}
