import { sql, type RawBuilder } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiToken, createTestApp, type TestApp } from '../../../test/app.js'
import * as repo from './documents.repository.js'

/**
 * The search reads each way of seeing a document as its own branch, in two passes (documents.repository.ts).
 * These tests hold it to the plain statement of the rule — one query with the visibility rule of the README
 * written out as an OR — over 420 documents in three units with every kind of access, paging through to the
 * end; once with the real budgets and once with budgets so small that nearly every page needs the second pass.
 */
let t: TestApp
const users: Record<string, string> = {}
const units: Record<string, string> = {}
const registers: Record<string, string> = {}
const TIGHT: repo.SearchPasses = { probeRows: 6, walkRows: 12, branchRows: 4 }
// Walks long enough that common words are found by the second walk rather than the word indexes.
const WALKING: repo.SearchPasses = { probeRows: 20, walkRows: 300, branchRows: 60 }

beforeAll(async () => {
  t = await createTestApp({ clock: () => new Date('2026-11-27T02:00:00Z') })
  const db = t.database.db
  for (const row of (await sql<{ id: string; username: string }>`select id, username from users`.execute(db))
    .rows) {
    users[row.username] = row.id
  }
  for (const row of (
    await sql<{ id: string; key: string }>`
      select id, key from org_units where key in ('so-khcn', 'ubnd-tinh', 'phuong-thuc-phan')`.execute(db)
  ).rows) {
    units[row.key] = row.id
  }
  await sql`
    insert into document_registers (unit_id, year, direction, name, is_default)
    select id, 2026, 'incoming', 'Sổ thử tìm kiếm', false from org_units
    where key in ('so-khcn', 'ubnd-tinh', 'phuong-thuc-phan')`.execute(db)
  for (const row of (
    await sql<{ id: string; key: string }>`
      select r.id, u.key from document_registers r join org_units u on u.id = r.unit_id
      where r.name = 'Sổ thử tìm kiếm'`.execute(db)
  ).rows) {
    registers[row.key] = row.id
  }
  // Half in Sở KH&CN, three tenths in the province committee above it, a fifth in a ward. Two documents share
  // each time of receipt, so the order also rests on the id. Some urgent, some confidential (restricted).
  await sql`
    with g as (
      select g, case when g % 10 < 5 then 'so-khcn' when g % 10 < 8 then 'ubnd-tinh' else 'phuong-thuc-phan' end
        as unit_key
      from generate_series(1, 420) g)
    insert into documents (direction, unit_id, register_id, number, received_at, source, code_number,
      code_notation, issued_on, issuer_name, type_code, summary, urgency, confidentiality, status, dedupe_key)
    select 'incoming', u.id, r.id, g.g, timestamptz '2026-01-05 01:00:00+00' + (g.g / 2) * interval '37 minutes',
      'electronic', (7000 + g.g)::text, 'UBND-VP', date '2026-01-05' + g.g / 20,
      (array['Ủy ban nhân dân tỉnh Cao Bằng', 'Sở Tài chính', 'Sở Nông nghiệp và Môi trường'])[1 + g.g % 3],
      case when g.g % 2 = 0 then 'cong-van' else 'thong-bao' end,
      case when g.g % 37 = 0 then 'Phòng chống cháy rừng mùa khô đợt ' || g.g
           when g.g % 4 = 0 then 'Kế hoạch chuyển đổi số năm 2026, đợt ' || g.g
           else 'Báo cáo tình hình kinh tế xã hội tháng, đợt ' || g.g end,
      case when g.g % 11 = 0 then 'urgent' else 'normal' end,
      case when g.g % 13 = 0 then 'confidential' else 'normal' end,
      case when g.g % 5 = 0 then 'completed' else 'registered' end, 'search|' || g.g
    from g join org_units u on u.key = g.unit_key
    join document_registers r on r.unit_id = u.id and r.name = 'Sổ thử tìm kiếm'`.execute(db)
  const assign = (who: RawBuilder<unknown>, where: RawBuilder<unknown>, role = 'lead') => sql`
    insert into document_assignments (document_id, assignee_unit_id, assignee_user_id, assignee_name, role,
      status, assigned_at)
    select d.id, ${who}, 'Người nhận', ${role}, 'open', d.received_at + interval '1 hour'
    from documents d join org_units u on u.id = d.unit_id where ${where}`
  const khcn = sql`${units['so-khcn']!}::uuid`
  const specialist = sql`${users['chuyenvien.sokhcn']!}::uuid`
  // Documents of the province committee handed down to Sở KH&CN (some restricted).
  await assign(sql`${khcn}, null`, sql`u.key = 'ubnd-tinh' and d.number % 4 = 1`).execute(db)
  // Sở KH&CN's own documents given to its specialist, some twice (lead, then support on the same document).
  await assign(sql`null, ${specialist}`, sql`u.key = 'so-khcn' and d.number % 6 = 0`).execute(db)
  await assign(sql`null, ${specialist}`, sql`u.key = 'so-khcn' and d.number % 12 = 0`, 'support').execute(db)
  // A ward's documents given to the same specialist, and Sở KH&CN's documents to the unit itself.
  await assign(sql`null, ${specialist}`, sql`u.key = 'phuong-thuc-phan' and d.number % 9 = 0`).execute(db)
  await assign(sql`${khcn}, null`, sql`u.key = 'so-khcn' and d.number % 5 = 2`).execute(db)
  // The leader of Sở KH&CN personally on some of the province committee's documents.
  await assign(
    sql`null, ${users['lanhdao.sokhcn']!}::uuid`,
    sql`u.key = 'ubnd-tinh' and d.number % 7 = 3`,
  ).execute(db)
  // One document in seven has PDF text; one in 21 a word that is only in its PDF.
  await sql`
    insert into document_texts (document_id, search, updated_at)
    select d.id, d.search || to_tsvector('simple',
      'phu luc ngan sach nha nuoc' || case when d.number % 21 = 0 then ' dien gio' else '' end), now()
    from documents d where d.number % 7 = 0`.execute(db)
})

afterAll(async () => {
  await t.close()
})

const scopes = (): Record<string, repo.Scope> => {
  const k = units['so-khcn']!
  const p = units['ubnd-tinh']!
  return {
    'the leader of Sở KH&CN': {
      userId: users['lanhdao.sokhcn']!,
      readUnits: [k],
      leaderUnits: [k],
      processUnits: [k],
    },
    'a specialist of Sở KH&CN': {
      userId: users['chuyenvien.sokhcn']!,
      readUnits: [],
      leaderUnits: [],
      processUnits: [k],
    },
    'the clerk of Sở KH&CN': {
      userId: users['vanthu.sokhcn']!,
      readUnits: [k],
      leaderUnits: [],
      processUnits: [],
    },
    'a leader of both the committee and Sở KH&CN': {
      userId: users['lanhdao.sokhcn']!,
      readUnits: [p, k],
      leaderUnits: [p, k],
      processUnits: [p, k],
    },
    // The committee's clerk who also leads Sở KH&CN: the committee's ordinary documents through its register,
    // its restricted ones only when assigned to Sở KH&CN.
    'the committee clerk who leads Sở KH&CN': {
      userId: users['vanthu.sokhcn']!,
      readUnits: [p, k],
      leaderUnits: [k],
      processUnits: [k],
    },
    'a specialist of the ward': {
      userId: users['chuyenvien.thucphan']!,
      readUnits: [],
      leaderUnits: [],
      processUnits: [units['phuong-thuc-phan']!],
    },
  }
}

const filters = (): Record<string, Omit<repo.SearchFilter, 'limit'>> => ({
  'no words': { tsquery: null },
  'common words': { tsquery: 'ke & hoach & chuyen & doi & so:*' },
  'a rare word': { tsquery: 'chay & rung:*' },
  'a word only in PDFs': { tsquery: 'dien & gio:*' },
  'a word in every PDF': { tsquery: 'ngan & sach:*' },
  'a number': { tsquery: '7210:*' },
  'a status': { tsquery: null, status: 'completed' },
  'words and a date range': { tsquery: 'bao & cao:*', from: '2026-01-10', to: '2026-01-20' },
  'an issuer': { tsquery: null, issuer: 'so tai chinh' },
  'a register and a type': { tsquery: 'bao:*', typeCode: 'cong-van', registerId: registers['ubnd-tinh'] },
})

/** The rule as one plain query: what the README says each person sees, newest first. */
async function reference(scope: repo.Scope, f: Omit<repo.SearchFilter, 'limit'>): Promise<string[]> {
  const list = (ids: string[]) => sql`(${sql.join([...ids.map((id) => sql`${id}::uuid`), sql`null::uuid`])})`
  const words = f.tsquery
    ? sql`(d.search @@ to_tsquery('simple', ${f.tsquery}) or exists (select 1 from document_texts x
        where x.document_id = d.id and x.search @@ to_tsquery('simple', ${f.tsquery})))`
    : sql`true`
  const rows = await sql<{ id: string }>`
    select d.id from documents d
    where ((d.unit_id in ${list(scope.readUnits)} and not d.restricted)
        or d.unit_id in ${list(scope.leaderUnits)}
        or exists (select 1 from document_assignments a where a.document_id = d.id
          and (a.assignee_user_id = ${scope.userId}::uuid or a.assignee_unit_id in ${list(scope.leaderUnits)}
            or (a.assignee_unit_id in ${list(scope.processUnits)} and not d.restricted))))
      and ${words}
      and (${f.status ?? null}::text is null or d.status = ${f.status ?? null})
      and (${f.from ?? null}::date is null or d.issued_on >= ${f.from ?? null}::date)
      and (${f.to ?? null}::date is null or d.issued_on <= ${f.to ?? null}::date)
      and (${f.issuer ?? null}::text is null or f_unaccent(d.issuer_name) like '%' || ${f.issuer ?? null} || '%')
      and (${f.typeCode ?? null}::text is null or d.type_code = ${f.typeCode ?? null})
      and (${f.registerId ?? null}::uuid is null or d.register_id = ${f.registerId ?? null}::uuid)
    order by d.received_at desc, d.id desc`.execute(t.database.db)
  return rows.rows.map((r) => r.id)
}

/** Every page in turn, each continuing from the last row of the one before, as the `next` cursor does. */
async function allPages(
  scope: repo.Scope,
  f: Omit<repo.SearchFilter, 'limit'>,
  limit: number,
  passes?: repo.SearchPasses,
): Promise<string[]> {
  const ids: string[] = []
  let before: repo.SearchFilter['before']
  for (let page = 0; page < 200; page++) {
    const rows = await repo.searchDocuments(t.database.db, scope, { ...f, before, limit }, passes)
    ids.push(...rows.map((r) => r.id))
    if (rows.length < limit) return ids
    const last = rows.at(-1)!
    before = { receivedAt: last.received_at, id: last.id }
  }
  throw new Error('paging did not end')
}

describe('searching incoming documents, branch by branch', () => {
  it('pages through what each person may see exactly once, newest first, like the plain rule', async () => {
    let compared = 0
    for (const [who, scope] of Object.entries(scopes())) {
      for (const [what, f] of Object.entries(filters())) {
        const expected = await reference(scope, f)
        expect(await allPages(scope, f, 9), `${who}, ${what}`).toEqual(expected)
        compared += expected.length
      }
    }
    // The comparison is not between empty lists.
    expect(compared).toBeGreaterThan(1500)
  })

  // Each compares every page of six scopes and ten filters: seconds on a quiet machine, more under CI's load.
  it.each([
    ['ask the word indexes', TIGHT],
    ['walk on', WALKING],
  ])('gives the same pages when almost every page has to %s', { timeout: 120_000 }, async (_, passes) => {
    for (const [who, scope] of Object.entries(scopes())) {
      for (const [what, f] of Object.entries(filters())) {
        const expected = await reference(scope, f)
        expect(await allPages(scope, f, 7, passes), `${who}, ${what}`).toEqual(expected)
      }
    }
  })

  it('shows a document seen through several branches once, and restricted ones only through a branch that allows them', async () => {
    const specialist = scopes()['a specialist of Sở KH&CN']!
    const clerk = scopes()['the clerk of Sở KH&CN']!
    const seen = await repo.searchDocuments(t.database.db, specialist, { tsquery: null, limit: 500 }, TIGHT)
    expect(new Set(seen.map((d) => d.id)).size).toBe(seen.length)
    // Number 60: Sở KH&CN's, assigned to the specialist twice (lead and support) — once in the list.
    expect(seen.filter((d) => d.number === 60)).toHaveLength(1)
    // Number 390 is confidential (390 = 13·30) and assigned to the specialist in person: seen. Number 52 is
    // confidential and only assigned to the unit (52 % 5 = 2): the unit's ordinary-only branch leaves it out.
    expect(seen.some((d) => d.number === 390 && d.restricted)).toBe(true)
    expect(seen.some((d) => d.number === 52)).toBe(false)
    const registered = await repo.searchDocuments(t.database.db, clerk, { tsquery: null, limit: 500 }, TIGHT)
    expect(registered.length).toBeGreaterThan(150)
    expect(registered.every((d) => !d.restricted && d.unit_id === units['so-khcn'])).toBe(true)
  })

  it('continues exactly where the first pass stopped, with times finer than a millisecond', async () => {
    const db = t.database.db
    // Thirty documents received within one millisecond, in a unit of their own register.
    await sql`
      insert into documents (direction, unit_id, register_id, number, received_at, source, code_number,
        code_notation, issued_on, issuer_name, type_code, summary, urgency, confidentiality, status, dedupe_key)
      select 'incoming', r.unit_id, r.id, 1000 + g, timestamptz '2026-12-01 03:00:00.123+00' + g * interval '1 microsecond',
        'electronic', (9000 + g)::text, 'UBND-VP', date '2026-11-30', 'Sở Tài chính', 'cong-van',
        case when g % 3 = 0 then 'Tờ trình thẩm định giá đợt ' || g else 'Giấy mời họp đợt ' || g end,
        'normal', 'normal', 'registered', 'micro|' || g
      from generate_series(1, 30) g
      join document_registers r on r.unit_id = ${units['phuong-thuc-phan']!}::uuid and r.name = 'Sổ thử tìm kiếm'`.execute(
      db,
    )
    const clerk: repo.Scope = {
      userId: users['vanthu.thucphan']!,
      readUnits: [units['phuong-thuc-phan']!],
      leaderUnits: [],
      processUnits: [],
    }
    for (const passes of [
      { probeRows: 3, walkRows: 5, branchRows: 3 },
      { probeRows: 3, walkRows: 30, branchRows: 30 },
    ]) {
      for (const f of [{ tsquery: 'tham & dinh:*' }, { tsquery: null }]) {
        const page = await repo.searchDocuments(db, clerk, { ...f, limit: 8 }, passes)
        expect(page.map((d) => d.id)).toEqual((await reference(clerk, f)).slice(0, 8))
      }
    }
  })

  it('runs inside a transaction of the caller', async () => {
    const scope = scopes()['the leader of Sở KH&CN']!
    const f = { tsquery: 'chay & rung:*', limit: 20 }
    const inside = await t.database.db
      .transaction()
      .execute((tx) => repo.searchDocuments(tx, scope, f, TIGHT))
    expect(inside.map((d) => d.id)).toEqual((await reference(scope, f)).slice(0, 20))
    expect(inside.length).toBeGreaterThan(0)
  })
})

describe('searching through the API', () => {
  it('pages with the next cursor across every branch, and finds a word that is only in the PDFs', async () => {
    const token = await apiToken(t, 'lanhdao.sokhcn')
    const get = (query: string) =>
      t.app.inject({
        method: 'GET',
        url: `/api/v1/documents?${query}`,
        headers: { authorization: `Bearer ${token}` },
      })
    const scope = scopes()['the leader of Sở KH&CN']!
    for (const [q, tsquery] of [
      ['bao cao', 'bao & cao:*'],
      ['dien gio', 'dien & gio:*'],
    ] as const) {
      const ids: string[] = []
      let next: string | null = null
      do {
        const response = await get(
          `q=${encodeURIComponent(q)}${next ? `&before=${encodeURIComponent(next)}` : ''}`,
        )
        expect(response.statusCode, response.body).toBe(200)
        const body = response.json<{ items: { id: string }[]; next: string | null }>()
        ids.push(...body.items.map((i) => i.id))
        next = body.next
      } while (next)
      // The leader also reads the committee's documents assigned to the unit or to them in person.
      const expected = await reference(scope, { tsquery })
      expect(ids).toEqual(expected)
      expect(expected.length).toBeGreaterThan(q === 'bao cao' ? 50 : 2)
    }
  })

  it('finds nothing, without failing, for a register id that is not an id', async () => {
    const token = await apiToken(t, 'lanhdao.sokhcn')
    const response = await t.app.inject({
      method: 'GET',
      url: '/api/v1/documents?registerId=not-a-register',
      headers: { authorization: `Bearer ${token}` },
    })
    expect(response.statusCode, response.body).toBe(200)
    expect(response.json()).toEqual({ items: [], next: null })
  })
})
