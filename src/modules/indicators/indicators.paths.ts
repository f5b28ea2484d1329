/** Every link to this module's page and API is built here; nothing else writes these URLs. */
export const indicatorPaths = {
  page: '/admin/indicators',
  /** The page for a unit and a period; parameters left out take their defaults (the actor's unit, this month). */
  pageFor: (query: { unit?: string; from?: string; to?: string }) => withQuery('/admin/indicators', query),
  api: {
    /** Relative to the /api/v1 prefix app.ts registers the API under. */
    statsPattern: '/stats/dossiers',
    stats: (query: { unit?: string; from?: string; to?: string }) =>
      withQuery('/api/v1/stats/dossiers', query),
  },
} as const

function withQuery(path: string, query: Record<string, string | undefined>): string {
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(query)) if (value) params.set(name, value)
  const text = params.toString()
  return text ? `${path}?${text}` : path
}
