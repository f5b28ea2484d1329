import { writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { openConfiguredDatabase } from './database.js'
import { createCatalogueModule, readImportFile } from './modules/catalogue/index.js'
import { createIdentityModule } from './modules/identity/index.js'
import { createOrganisationModule } from './modules/organisation/index.js'
import { LGSP_LOG_USAGE, runMessageLogCommand } from './modules/lgsp-log/index.js'
import { runSsoCommand, SSO_USAGE } from './modules/sso/index.js'
import { SYSTEM_CONTEXT, verifyAudit } from './platform/audit/audit.js'
import { randomToken } from './platform/auth/tokens.js'
import { ROLES, type Role } from './platform/auth/roles.js'
import { systemClock } from './platform/clock.js'
import { ConfigError, loadConfig, withEmbeddedSecret, type Config } from './platform/config.js'
import { DataDirLockedError, type Database } from './platform/db/database.js'
import { migrate } from './platform/db/migrate.js'
import { JOBS_USAGE, runJobsCommand } from './platform/jobs/jobs.cli.js'
import { ValidationError } from './platform/http/errors.js'
import { seed } from './seed.js'
import { startServer } from './server.js'

const USAGE = `Cách dùng / usage: npm run cli -- <lệnh>
  start                                  chạy máy chủ (như npm start)
  migrate                                áp dụng các migration còn thiếu
  seed [--demo]                          nạp dữ liệu danh mục (đơn vị); --demo thêm tài khoản dùng thử
  user create --username U --name "Họ tên" [--password P] [--kind official|citizen|business]
              [--unit KEY|MÃ-ĐỊNH-DANH|UUID] [--role ROLE] [--subtree]
  token create --user U [--name TÊN] [--days 90]
  audit verify                           kiểm tra chuỗi băm của nhật ký kiểm toán
  catalogue import TỆP [--format json|csv]   nhập thủ tục hành chính; dòng lỗi được báo, dòng đúng vẫn được nhập
  catalogue export [--format json|csv] [--out TỆP]
${JOBS_USAGE}
${SSO_USAGE}
${LGSP_LOG_USAGE}
Vai trò / roles: ${ROLES.join(', ')}`

const CLI_CONTEXT = { ...SYSTEM_CONTEXT, actorLabel: 'cli' }

async function withDatabase<T>(config: Config, work: (database: Database) => Promise<T>): Promise<T> {
  const database = await openConfiguredDatabase(config)
  try {
    await migrate(database.db)
    return await work(database)
  } finally {
    await database.close()
  }
}

function modules(database: Database, config: Config) {
  const deps = { db: database.db, config, clock: systemClock }
  const organisation = createOrganisationModule(deps)
  return {
    organisation,
    identity: createIdentityModule({ ...deps, organisation: organisation.service }),
    catalogue: createCatalogueModule({ ...deps, organisation: organisation.service }),
  }
}

/** A progress bar on a terminal; on a pipe or log, a line every tenth so logs stay short. */
function progressBar(label: string) {
  let lastTenth = -1
  return (done: number, total: number) => {
    if (process.stderr.isTTY) {
      const width = 30
      const filled = Math.round((done / Math.max(total, 1)) * width)
      process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`)
      if (done === total) process.stderr.write('\n')
      return
    }
    const tenth = Math.floor((done / Math.max(total, 1)) * 10)
    if (tenth !== lastTenth) {
      lastTenth = tenth
      process.stderr.write(`${label}: ${done}/${total}\n`)
    }
  }
}

async function main(argv: string[]): Promise<number> {
  const [command = 'start', sub, ...rest] = argv
  const config = withEmbeddedSecret(loadConfig())

  switch (command) {
    case 'start':
      await startServer(config)
      return -1
    case 'migrate':
      return withDatabase(config, async () => {
        console.log('Cơ sở dữ liệu đã ở phiên bản mới nhất (schema is up to date).')
        return 0
      })
    case 'seed': {
      const demo = sub === '--demo' || rest.includes('--demo')
      return withDatabase(config, async ({ db }) => {
        const result = await seed(db, config, demo)
        console.log(
          `Đơn vị: thêm ${result.units.inserted}, cập nhật ${result.units.updated}; ` +
            `thủ tục: thêm ${result.procedures.inserted}; tài khoản dùng thử: ${result.demoUsers}`,
        )
        return 0
      })
    }
    case 'user': {
      if (sub !== 'create') break
      const { values } = parseArgs({
        args: rest,
        options: {
          username: { type: 'string' },
          name: { type: 'string' },
          password: { type: 'string' },
          kind: { type: 'string', default: 'official' },
          unit: { type: 'string' },
          role: { type: 'string' },
          subtree: { type: 'boolean', default: false },
        },
      })
      if (!values.username || !values.name) {
        console.error('Thiếu --username hoặc --name.')
        return 2
      }
      if (!['official', 'citizen', 'business'].includes(values.kind)) {
        console.error('--kind phải là official, citizen hoặc business.')
        return 2
      }
      if (values.role && !(ROLES as readonly string[]).includes(values.role)) {
        console.error(`--role phải là một trong: ${ROLES.join(', ')}`)
        return 2
      }
      return withDatabase(config, async (database) => {
        const { organisation, identity } = modules(database, config)
        let unitId: string | null = null
        if (values.unit) {
          const all = await organisation.service.listUnits({})
          const unit = all.find(
            (u) => u.key === values.unit || u.agencyCode === values.unit || u.id === values.unit,
          )
          if (!unit) {
            console.error(`Không tìm thấy đơn vị "${values.unit}".`)
            return 2
          }
          unitId = unit.id
        }
        if (values.kind === 'official' && !unitId) {
          console.error('Tài khoản cán bộ cần --unit.')
          return 2
        }
        const generated = !values.password
        const password = values.password ?? `${randomToken(9)}7a`
        const user = await identity.users.createUserTrusted(
          {
            username: values.username!,
            fullName: values.name!,
            password,
            kind: values.kind as 'official',
            homeUnitId: unitId,
            role: (values.role as Role | undefined) ?? (values.kind === 'citizen' ? 'citizen' : null),
            includeSubtree: values.subtree,
          },
          CLI_CONTEXT,
        )
        console.log(`Đã tạo người dùng ${user.username} (${user.id}).`)
        if (generated) console.log(`Mật khẩu ban đầu (chỉ hiển thị một lần): ${password}`)
        return 0
      })
    }
    case 'token': {
      if (sub !== 'create') break
      const { values } = parseArgs({
        args: rest,
        options: {
          user: { type: 'string' },
          name: { type: 'string', default: 'cli' },
          days: { type: 'string', default: '90' },
        },
      })
      if (!values.user) {
        console.error('Thiếu --user.')
        return 2
      }
      return withDatabase(config, async (database) => {
        const { identity } = modules(database, config)
        const actor = await identity.auth.loadActorByUsername(values.user!)
        if (!actor) {
          console.error(`Không tìm thấy người dùng "${values.user}".`)
          return 2
        }
        const created = await identity.auth.createToken(
          { ...actor, via: 'cli' },
          { name: values.name, expiresInDays: Number(values.days) },
          { ...CLI_CONTEXT, actorId: actor.userId },
        )
        console.log(`Khóa truy cập (chỉ hiển thị một lần), hết hạn ${created.expiresAt.toISOString()}:`)
        console.log(created.token)
        return 0
      })
    }
    case 'audit': {
      if (sub !== 'verify') break
      return withDatabase(config, async ({ db }) => {
        const result = await verifyAudit(db)
        if (result.ok) {
          console.log(`Nhật ký kiểm toán toàn vẹn: ${result.count} bản ghi, mã băm cuối ${result.headHash}`)
          return 0
        }
        console.error(
          `Nhật ký kiểm toán bị phá vỡ tại bản ghi số ${result.brokenAt}: ${result.reason} (${result.count} bản ghi đầu còn nguyên vẹn)`,
        )
        return 1
      })
    }
    case 'catalogue': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { format: { type: 'string' }, out: { type: 'string' } },
      })
      if (sub === 'import') {
        const file = positionals[0]
        if (!file) {
          console.error('Thiếu đường dẫn tệp cần nhập.')
          return 2
        }
        const format = (values.format ?? (file.endsWith('.csv') ? 'csv' : 'json')) as 'json' | 'csv'
        if (!['json', 'csv'].includes(format)) {
          console.error('--format phải là json hoặc csv.')
          return 2
        }
        return withDatabase(config, async (database) => {
          const { catalogue } = modules(database, config)
          const records = readImportFile(file, format)
          const report = await catalogue.service.importProcedures(
            records,
            CLI_CONTEXT,
            progressBar('Nhập thủ tục'),
          )
          for (const row of report.rejected) {
            console.error(`Dòng ${row.line}${row.code ? ` (${row.code})` : ''}: ${row.problems.join(' ')}`)
          }
          console.log(
            `Đã nhập: thêm ${report.inserted}, cập nhật ${report.updated}, bị từ chối ${report.rejected.length}.`,
          )
          return report.rejected.length > 0 ? 1 : 0
        })
      }
      if (sub === 'export') {
        const format = (values.format ?? (values.out?.endsWith('.csv') ? 'csv' : 'json')) as 'json' | 'csv'
        if (!['json', 'csv'].includes(format)) {
          console.error('--format phải là json hoặc csv.')
          return 2
        }
        return withDatabase(config, async (database) => {
          const text = await modules(database, config).catalogue.service.exportAll(format)
          if (values.out) writeFileSync(values.out, text)
          else process.stdout.write(text)
          return 0
        })
      }
      break
    }
    case 'jobs':
      return withDatabase(config, ({ db }) => runJobsCommand([sub ?? '', ...rest], db))
    case 'sso':
      return withDatabase(config, ({ db }) =>
        runSsoCommand([sub ?? '', ...rest], { db, config, clock: systemClock }, CLI_CONTEXT),
      )
    case 'lgsp':
      if (sub === 'log') {
        return withDatabase(config, ({ db }) =>
          runMessageLogCommand(rest, { db, config, clock: systemClock }),
        )
      }
      break
    case 'help':
    case '--help':
      console.log(USAGE)
      return 0
    default:
  }
  console.error(USAGE)
  return 2
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code)
  },
  (error: unknown) => {
    if (error instanceof ConfigError || error instanceof DataDirLockedError) {
      console.error(error.message)
      process.exit(78)
    }
    if (error instanceof ValidationError) {
      console.error(Object.values(error.fields).join('\n'))
      process.exit(2)
    }
    console.error(error)
    process.exit(1)
  },
)
