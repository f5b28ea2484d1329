/**
 * Every address the SSO module serves outside the provider itself; links are built here. Client ids are
 * base64url (`cb-…`), safe in a path as they are: the same functions give the routes' patterns (`:id`).
 */
export const ssoPaths = {
  /** Where oidc-provider is mounted; its own endpoints (auth, token, jwks, …) live below. */
  mount: '/oidc',
  interaction: (uid: string) => `/sso/interaction/${uid}`,
  interactionConsent: (uid: string) => `/sso/interaction/${uid}/consent`,
  interactionAbort: (uid: string) => `/sso/interaction/${uid}/abort`,
  myApps: '/account/apps',
  clients: '/admin/sso/clients',
  newClient: '/admin/sso/clients/new',
  client: (id: string) => `/admin/sso/clients/${id}`,
  clientDisable: (id: string) => `/admin/sso/clients/${id}/disable`,
  clientEnable: (id: string) => `/admin/sso/clients/${id}/enable`,
  clientSecret: (id: string) => `/admin/sso/clients/${id}/secret`,
}
