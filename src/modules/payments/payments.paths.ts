/** Every address the payments module serves; links are built here, never by hand. */
export const paymentPaths = {
  /** Linked from the dossier page (dossierPaths.pay); the page, and POST to start an attempt. */
  pay: (code: string) => `/dossiers/${code}/pay`,
  receipt: (code: string) => `/dossiers/${code}/pay/receipt`,
  /** Where the gateway sends the browser back. */
  return: (provider: string) => `/payments/return/${provider}`,
  /** Where the gateway sends its server-to-server notice (IPN). */
  callback: (provider: string) => `/payments/callback/${provider}`,
  reconciliation: '/admin/payments',
  reconciliationDay: (day: string) => `/admin/payments?day=${day}`,
  recheck: '/admin/payments/recheck',
}

/** The sandbox gateway's own addresses, under its own prefix as a separate site would have them. */
export const sandboxPaths = {
  prefix: '/sandbox-gateway',
  pay: '/sandbox-gateway/pay',
  query: '/sandbox-gateway/api/querydr',
}
