/** Where the official-document pages live (officials only); the API is under /api/v1/documents. */
export const documentPaths = {
  queue: '/admin/documents',
  incoming: '/admin/documents/incoming',
  registerNew: '/admin/documents/incoming/new',
  import: '/admin/documents/import',
  registers: '/admin/documents/registers',
  document: (id: string) => `/admin/documents/${id}`,
  assign: (id: string) => `/admin/documents/${id}/assign`,
  act: (id: string, assignmentId: string) => `/admin/documents/${id}/assignments/${assignmentId}`,
  files: (id: string) => `/admin/documents/${id}/files`,
  file: (id: string, fileId: string) => `/admin/documents/${id}/files/${fileId}`,
  edxml: (id: string) => `/admin/documents/${id}/edxml`,
}
