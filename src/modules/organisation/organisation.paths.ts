/** Every link to this module's pages and API is built here; nothing else writes these URLs. */
export const organisationPaths = {
  list: '/admin/units',
  create: '/admin/units/new',
  editPattern: '/admin/units/:id/edit',
  edit: (id: string) => `/admin/units/${encodeURIComponent(id)}/edit`,
  /** The list with its filters; an empty activeOn means "all dates". */
  listFiltered: (filter: { activeOn?: string; q?: string }) => {
    const query = new URLSearchParams()
    if (filter.activeOn !== undefined) query.set('activeOn', filter.activeOn)
    if (filter.q) query.set('q', filter.q)
    const text = query.toString()
    return text ? `/admin/units?${text}` : '/admin/units'
  },
  api: {
    /** Relative to the /api/v1 prefix app.ts registers the API under. */
    listPattern: '/units',
    onePattern: '/units/:id',
    one: (id: string) => `/api/v1/units/${encodeURIComponent(id)}`,
    list: '/api/v1/units',
  },
} as const
