/** Work-file pages (officials); the API is under /api/v1/documents/work-files. */
export const workFilePaths = {
  list: '/admin/documents/work-files',
  create: '/admin/documents/work-files/new',
  stats: '/admin/documents/work-files/stats',
  file: (id: string) => `/admin/documents/work-files/${id}`,
  documents: (id: string) => `/admin/documents/work-files/${id}/documents`,
  removeDocument: (id: string, documentId: string) =>
    `/admin/documents/work-files/${id}/documents/${documentId}/remove`,
  close: (id: string) => `/admin/documents/work-files/${id}/close`,
  reopen: (id: string) => `/admin/documents/work-files/${id}/reopen`,
  archive: (id: string) => `/admin/documents/work-files/${id}/archive`,
}
