import { SYSTEM_CONTEXT } from '../../platform/audit/audit.js'
import type { Role } from '../../platform/auth/roles.js'
import type { Db } from '../../platform/db/database.js'
import { tablesOf } from '../../platform/db/tables.js'
import type { OrganisationService } from '../organisation/index.js'
import type { IdentityTables, UserKind } from './identity.tables.js'
import type { UsersService } from './users.service.js'

/** Demo accounts for trying the platform; the README tells operators to remove them in production. */
export const DEMO_PASSWORD = 'CaoBang@2026'
export const DEMO_ACCOUNTS: {
  username: string
  fullName: string
  kind: UserKind
  unitKey: string | null
  role: Role
  includeSubtree: boolean
  label: string
  phone?: string
  citizenId?: string
}[] = [
  {
    username: 'quantri',
    fullName: 'Nông Văn Quản',
    kind: 'official',
    unitKey: 'ubnd-tinh',
    role: 'system_admin',
    includeSubtree: true,
    label: 'Quản trị hệ thống (toàn tỉnh)',
  },
  {
    username: 'qt.sokhcn',
    fullName: 'Hoàng Thị Mai',
    kind: 'official',
    unitKey: 'so-khcn',
    role: 'unit_admin',
    includeSubtree: true,
    label: 'Quản trị đơn vị — Sở Khoa học và Công nghệ',
  },
  {
    username: 'lanhdao.sokhcn',
    fullName: 'Lương Văn Thành',
    kind: 'official',
    unitKey: 'so-khcn',
    role: 'unit_leader',
    includeSubtree: false,
    label: 'Lãnh đạo — Sở Khoa học và Công nghệ',
  },
  {
    username: 'chuyenvien.sokhcn',
    fullName: 'Bế Thị Hạnh',
    kind: 'official',
    unitKey: 'so-khcn',
    role: 'specialist',
    includeSubtree: false,
    label: 'Chuyên viên — Sở Khoa học và Công nghệ',
  },
  {
    username: 'vanthu.sokhcn',
    fullName: 'Triệu Thị Thu',
    kind: 'official',
    unitKey: 'so-khcn',
    role: 'clerk',
    includeSubtree: false,
    label: 'Văn thư — Sở Khoa học và Công nghệ',
  },
  {
    username: 'motcua.thucphan',
    fullName: 'Đàm Văn Lực',
    kind: 'official',
    unitKey: 'phuong-thuc-phan',
    role: 'receiving_officer',
    includeSubtree: false,
    label: 'Cán bộ một cửa — UBND phường Thục Phán',
  },
  {
    username: 'chuyenvien.thucphan',
    fullName: 'Hà Thị Nga',
    kind: 'official',
    unitKey: 'phuong-thuc-phan',
    role: 'specialist',
    includeSubtree: false,
    label: 'Chuyên viên — UBND phường Thục Phán',
  },
  {
    username: 'lanhdao.thucphan',
    fullName: 'Nông Văn Hùng',
    kind: 'official',
    unitKey: 'phuong-thuc-phan',
    role: 'unit_leader',
    includeSubtree: false,
    label: 'Lãnh đạo — UBND phường Thục Phán',
  },
  {
    username: 'qt.thucphan',
    fullName: 'Ma Thị Lan',
    kind: 'official',
    unitKey: 'phuong-thuc-phan',
    role: 'unit_admin',
    includeSubtree: false,
    label: 'Quản trị đơn vị — UBND phường Thục Phán',
  },
  {
    username: 'vanthu.thucphan',
    fullName: 'Lý Văn Sơn',
    kind: 'official',
    unitKey: 'phuong-thuc-phan',
    role: 'clerk',
    includeSubtree: false,
    label: 'Văn thư — UBND phường Thục Phán',
  },
  {
    username: 'congdan',
    fullName: 'Nguyễn Văn An',
    kind: 'citizen',
    unitKey: null,
    role: 'citizen',
    includeSubtree: false,
    label: 'Công dân',
    phone: '0912000001',
    citizenId: '004090000001',
  },
]

/** Idempotent: accounts that already exist are left as they are. */
export async function seedDemoUsers(
  db: Db,
  users: UsersService,
  organisation: OrganisationService,
): Promise<number> {
  let created = 0
  for (const account of DEMO_ACCOUNTS) {
    const exists = await tablesOf<IdentityTables>(db)
      .selectFrom('users')
      .select('id')
      .where('username', '=', account.username)
      .executeTakeFirst()
    if (exists) continue
    const unit = account.unitKey ? await organisation.findUnitByKey(account.unitKey) : undefined
    if (account.unitKey && !unit)
      throw new Error(`Seed unit ${account.unitKey} is missing from data/seed/org-units.csv`)
    await users.createUserTrusted(
      {
        username: account.username,
        fullName: account.fullName,
        password: DEMO_PASSWORD,
        kind: account.kind,
        homeUnitId: unit?.id ?? null,
        role: account.role,
        includeSubtree: account.includeSubtree,
        phone: account.phone ?? null,
        citizenId: account.citizenId ?? null,
      },
      { ...SYSTEM_CONTEXT, actorLabel: 'seed' },
    )
    created++
  }
  return created
}
