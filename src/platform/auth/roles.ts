/** Roles officials and citizens hold; each official role is held in an org unit, optionally its subtree. */
export const Role = {
  citizen: 'citizen',
  receivingOfficer: 'receiving_officer',
  specialist: 'specialist',
  unitLeader: 'unit_leader',
  unitAdmin: 'unit_admin',
  systemAdmin: 'system_admin',
  /** Văn thư: registers incoming official documents. */
  clerk: 'clerk',
} as const
export type Role = (typeof Role)[keyof typeof Role]
export const ROLES = Object.values(Role)

export const Permission = {
  backofficeAccess: 'backoffice.access',
  unitsRead: 'units.read',
  unitsManage: 'units.manage',
  usersRead: 'users.read',
  usersManage: 'users.manage',
  rolesAssign: 'roles.assign',
  personalDataRead: 'personal_data.read',
  auditRead: 'audit.read',
  dossiersReceive: 'dossiers.receive',
  dossiersProcess: 'dossiers.process',
  dossiersApprove: 'dossiers.approve',
  documentsRegister: 'documents.register',
  documentsAssign: 'documents.assign',
  documentsProcess: 'documents.process',
  /** Approve an outgoing document for issue (the last step of its approval chain). */
  documentsApprove: 'documents.approve',
  /** Number, sign and dispatch approved outgoing documents (văn thư). */
  documentsIssue: 'documents.issue',
  /** Search the LGSP message log (who called which service, when, with what result). */
  lgspLogRead: 'lgsp.log.read',
  /** Decrypt a body kept in the LGSP message log (audited). */
  lgspLogDecrypt: 'lgsp.log.decrypt',
  /** Manage the LGSP registry: members, subsystems, services, access rights, allowed hosts. */
  lgspAdmin: 'lgsp.admin',
} as const
export type Permission = (typeof Permission)[keyof typeof Permission]

const P = Permission
const official = [P.backofficeAccess, P.unitsRead] as const

/** The permission table: data, so a review can read it in one place. */
export const rolePermissions = {
  citizen: [],
  receiving_officer: [...official, P.dossiersReceive, P.personalDataRead],
  specialist: [...official, P.dossiersProcess, P.personalDataRead, P.documentsProcess],
  unit_leader: [
    ...official,
    P.dossiersApprove,
    P.usersRead,
    P.personalDataRead,
    P.documentsAssign,
    P.documentsProcess,
    P.documentsApprove,
  ],
  unit_admin: [...official, P.usersRead, P.usersManage, P.rolesAssign, P.unitsManage, P.personalDataRead],
  system_admin: [
    ...official,
    P.usersRead,
    P.usersManage,
    P.rolesAssign,
    P.unitsManage,
    P.personalDataRead,
    P.auditRead,
    P.lgspLogRead,
    P.lgspLogDecrypt,
    P.lgspAdmin,
  ],
  clerk: [...official, P.documentsRegister, P.documentsIssue],
} as const satisfies Record<Role, readonly Permission[]>

/** Roles an assigner may hand out: nobody grants more than they hold. */
export const assignableBy = {
  unit_admin: [Role.receivingOfficer, Role.specialist, Role.unitLeader, Role.unitAdmin, Role.clerk],
  system_admin: [
    Role.receivingOfficer,
    Role.specialist,
    Role.unitLeader,
    Role.unitAdmin,
    Role.systemAdmin,
    Role.clerk,
  ],
} as const satisfies Partial<Record<Role, readonly Role[]>>
