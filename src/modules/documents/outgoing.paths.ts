/** Where the outgoing-document pages live (officials only); the API is under /api/v1/documents/outgoing. */
export const outgoingPaths = {
  list: '/admin/documents/outgoing',
  create: '/admin/documents/outgoing/new',
  register: '/admin/documents/outgoing/register',
  abbreviation: '/admin/documents/outgoing/abbreviation',
  document: (id: string) => `/admin/documents/outgoing/${id}`,
  edit: (id: string) => `/admin/documents/outgoing/${id}/edit`,
  comment: (id: string) => `/admin/documents/outgoing/${id}/comments`,
  submit: (id: string) => `/admin/documents/outgoing/${id}/submit`,
  act: (id: string) => `/admin/documents/outgoing/${id}/step`,
  issue: (id: string) => `/admin/documents/outgoing/${id}/issue`,
  version: (id: string, version: number) => `/admin/documents/outgoing/${id}/versions/${version}`,
  signed: (id: string) => `/admin/documents/outgoing/${id}/signed`,
  edxml: (id: string, kind?: 'recall' | 'update') =>
    `/admin/documents/outgoing/${id}/edxml${kind ? `?kind=${kind}` : ''}`,
  recall: (id: string) => `/admin/documents/outgoing/${id}/recall`,
  update: (id: string) => `/admin/documents/outgoing/${id}/update`,
  resend: (id: string) => `/admin/documents/outgoing/${id}/resend`,
  /** Sending one agency's packages again over the LGSP, from its row in the dispatch list. */
  resendTo: (id: string, recipientId: string) =>
    `/admin/documents/outgoing/${id}/recipients/${recipientId}/resend`,
  /** Drafting a document that replaces an issued one. */
  replace: (id: string) => `/admin/documents/outgoing/new?replaces=${encodeURIComponent(id)}`,
  /** Drafting a reply to an incoming document. */
  replyTo: (documentId: string) => `/admin/documents/outgoing/new?replyTo=${encodeURIComponent(documentId)}`,
  /** Refusing a document received from another agency (status 02). */
  refuse: (documentId: string) => `/admin/documents/${documentId}/refuse`,
}
