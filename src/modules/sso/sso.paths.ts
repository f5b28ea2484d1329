/** Every address the SSO module serves outside the provider itself; links are built here. */
export const ssoPaths = {
  /** Where oidc-provider is mounted; its own endpoints (auth, token, jwks, …) live below. */
  mount: '/oidc',
  interaction: (uid: string) => `/sso/interaction/${uid}`,
  interactionConsent: (uid: string) => `/sso/interaction/${uid}/consent`,
  interactionAbort: (uid: string) => `/sso/interaction/${uid}/abort`,
  myApps: '/account/apps',
  clients: '/admin/sso/clients',
  newClient: '/admin/sso/clients/new',
  client: (id: string) => `/admin/sso/clients/${encodeURIComponent(id)}`,
  clientDisable: (id: string) => `/admin/sso/clients/${encodeURIComponent(id)}/disable`,
  clientEnable: (id: string) => `/admin/sso/clients/${encodeURIComponent(id)}/enable`,
  clientSecret: (id: string) => `/admin/sso/clients/${encodeURIComponent(id)}/secret`,
}
