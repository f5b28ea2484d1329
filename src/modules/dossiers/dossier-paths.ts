/** Where the one-stop pages live; the API is under /api/v1/dossiers. */
export const dossierPaths = {
  track: '/track',
  queue: '/admin/dossiers',
  counter: '/admin/dossiers/new',
  dossier: (code: string) => `/dossiers/${code}`,
  actions: (code: string) => `/dossiers/${code}/actions`,
  cashPayment: (code: string) => `/dossiers/${code}/cash-payment`,
  /** The online payment of the fee; served by the payments module. */
  pay: (code: string) => `/dossiers/${code}/pay`,
  receipt: (code: string) => `/dossiers/${code}/receipt`,
  form: (code: string, no: string) => `/dossiers/${code}/forms/${no}`,
  book: '/admin/dossiers/book',
  file: (code: string, id: string) => `/dossiers/${code}/files/${id}`,
  results: (code: string) => `/dossiers/${code}/results`,
  result: (code: string, id: string) => `/dossiers/${code}/results/${id}`,
  rating: (code: string) => `/dossiers/${code}/rating`,
  store: '/account/store',
  mine: '/account/dossiers',
}
