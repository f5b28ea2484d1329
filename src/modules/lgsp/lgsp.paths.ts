/** Every address the LGSP module serves; links are built here, never by hand. */
export const gatewayPaths = {
  /** X-Road's REST protocol version 1: `/r1/{INSTANCE}/{CLASS}/{MEMBER}/{SUBSYSTEM}/{SERVICE}/…`. */
  prefix: '/r1',
  /** The gateway address of a service or subsystem identifier (`VN/GOV/000.00.00.H14/SUB[/SERVICE]`). */
  service: (identifier: string) => `/r1/${identifier.split('/').map(encodeURIComponent).join('/')}`,
  listClients: '/r1/listClients',
  listMethods: (subsystem: string) => `${gatewayPaths.service(subsystem)}/listMethods`,
  allowedMethods: (subsystem: string) => `${gatewayPaths.service(subsystem)}/allowedMethods`,
  getOpenApi: (subsystem: string, serviceCode: string) =>
    `${gatewayPaths.service(subsystem)}/getOpenAPI?serviceCode=${encodeURIComponent(serviceCode)}`,
}

export const lgspPaths = {
  home: '/admin/lgsp',
  newMember: '/admin/lgsp/members/new',
  member: (id: string) => `/admin/lgsp/members/${id}`,
  newSubsystem: (memberId: string) => `/admin/lgsp/members/${memberId}/subsystems/new`,
  subsystem: (id: string) => `/admin/lgsp/subsystems/${id}`,
  newService: (subsystemId: string) => `/admin/lgsp/subsystems/${subsystemId}/services/new`,
  service: (id: string) => `/admin/lgsp/services/${id}`,
  serviceRights: (id: string) => `/admin/lgsp/services/${id}/rights`,
  revokeRight: (id: string) => `/admin/lgsp/rights/${id}/revoke`,
  hosts: '/admin/lgsp/hosts',
  removeHost: (host: string) => `/admin/lgsp/hosts/remove?host=${encodeURIComponent(host)}`,
  /** Public: the catalogue for integrators, and each service's OpenAPI document as clients use it. */
  catalogue: '/lgsp/catalogue',
  catalogueOpenApi: (id: string) => `/lgsp/catalogue/${id}/openapi.json`,
}
