import type { BodyPart } from './lgsp-log.crypto.js'

export type LogQuery = Partial<Record<'client' | 'service' | 'requestId' | 'status' | 'from' | 'to', string>>

function withQuery(base: string, query: LogQuery & { before?: number }): string {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') params.set(key, String(value))
  }
  const search = params.toString()
  return search ? `${base}?${search}` : base
}

/** Every address the message log serves; links are built here, never by hand. */
export const messageLogPaths = {
  admin: '/admin/lgsp/log',
  search: (query: LogQuery & { before?: number }) => withQuery('/admin/lgsp/log', query),
  entry: (seq: number | string) => `/admin/lgsp/log/${seq}`,
  body: (seq: number | string, part: BodyPart | ':part') => `/admin/lgsp/log/${seq}/body/${part}`,
  api: {
    list: '/lgsp/log',
    entry: (seq: number | string) => `/lgsp/log/${seq}`,
    body: (seq: number | string, part: BodyPart | ':part') => `/lgsp/log/${seq}/body/${part}`,
  },
}
