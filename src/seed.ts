import { createCatalogueModule } from './modules/catalogue/index.js'
import { createIdentityModule, DEMO_ACCOUNTS, seedDemoUsers } from './modules/identity/index.js'
import { DEMO_PASSWORD } from './modules/identity/identity.seed.js'
import { createOrganisationModule, seedOrgUnits } from './modules/organisation/index.js'
import { systemClock } from './platform/clock.js'
import type { Config } from './platform/config.js'
import type { Db } from './platform/db/database.js'

export type SeedResult = {
  units: { inserted: number; updated: number }
  procedures: { inserted: number }
  demoUsers: number
}

/** Reference data (org units) always; demo accounts only when asked. Safe to run again. */
export async function seed(db: Db, config: Config, withDemoUsers: boolean): Promise<SeedResult> {
  const units = await seedOrgUnits(db)
  const deps = { db, config, clock: systemClock }
  const organisation = createOrganisationModule(deps)
  const procedures = await createCatalogueModule({ ...deps, organisation: organisation.service }).seed()
  let demoUsers = 0
  if (withDemoUsers) {
    const identity = createIdentityModule({ ...deps, organisation: organisation.service })
    demoUsers = await seedDemoUsers(db, identity.users, organisation.service)
  }
  return { units, procedures, demoUsers }
}

export function demoAccountsText(): string {
  const width = Math.max(...DEMO_ACCOUNTS.map((a) => a.username.length))
  return [
    `Tài khoản dùng thử / demo accounts (mật khẩu / password: ${DEMO_PASSWORD}):`,
    ...DEMO_ACCOUNTS.map((a) => `  ${a.username.padEnd(width)}  ${a.label}`),
  ].join('\n')
}
