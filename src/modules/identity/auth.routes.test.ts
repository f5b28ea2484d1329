import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, errorSummary, html, Visitor, type TestApp } from '../../../test/app.js'
import { totpCode } from '../../platform/auth/totp.js'
import { chainAudit } from '../../platform/audit/audit.js'

let t: TestApp
let now = new Date('2026-11-27T02:00:00Z')
const clock = () => now

beforeAll(async () => {
  t = await createTestApp({ clock })
})
afterAll(() => t.close())

async function auditActions(): Promise<string[]> {
  await chainAudit(t.database.db)
  const rows = await sql<{ action: string }>`select action from audit_log order by seq`.execute(t.database.db)
  return rows.rows.map((r) => r.action)
}

describe('signing in', () => {
  it('shows the login form in Vietnamese', async () => {
    const response = await new Visitor(t.app).get('/login')
    expect(response.statusCode).toBe(200)
    expect(html(response).querySelector('h1')?.text).toBe('Đăng nhập')
    expect(html(response).querySelector('html')?.getAttribute('lang')).toBe('vi')
  })

  it('takes an official to the back office, which lists their unit and role', async () => {
    const visitor = new Visitor(t.app)
    const response = await visitor.login('chuyenvien.sokhcn')
    expect(response.headers.location).toBe('/admin')
    const cookie = (response.cookies as { name: string; httpOnly?: boolean; sameSite?: string }[]).find(
      (c) => c.name === 'cb_session',
    )
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax' })
    const home = await visitor.get('/admin')
    expect(home.statusCode).toBe(200)
    const text = html(home).querySelector('main')!.text
    expect(text).toContain('Sở Khoa học và Công nghệ')
    expect(text).toContain('Chuyên viên xử lý')
  })

  it('gives a new session id at each sign-in', async () => {
    const visitor = new Visitor(t.app)
    await visitor.login('lanhdao.sokhcn')
    const first = visitor.cookies.get('cb_session')
    await visitor.login('lanhdao.sokhcn')
    expect(visitor.cookies.get('cb_session')).not.toBe(first)
    const old = await t.app.inject({ url: '/admin', cookies: { cb_session: first! } })
    expect(old.statusCode).toBe(303)
  })

  it('refuses a wrong password with a Vietnamese message and keeps the login typed', async () => {
    const visitor = new Visitor(t.app)
    await visitor.get('/login')
    const response = await visitor.post('/login', { login: 'chuyenvien.sokhcn', password: 'sai-mat-khau-1' })
    expect(response.statusCode).toBe(401)
    expect(errorSummary(response)).toEqual(['Tên đăng nhập hoặc mật khẩu không đúng.'])
    expect(html(response).querySelector('#login')?.getAttribute('value')).toBe('chuyenvien.sokhcn')
  })

  it('locks the account for a while after five failures, and audits it', async () => {
    const visitor = new Visitor(t.app)
    await visitor.get('/login')
    for (let i = 0; i < 4; i++) {
      expect(
        (await visitor.post('/login', { login: 'qt.thucphan', password: `wrong-${i}-password` })).statusCode,
      ).toBe(401)
    }
    const fifth = await visitor.post('/login', { login: 'qt.thucphan', password: 'wrong-5-password' })
    expect(fifth.statusCode).toBe(423)
    expect(errorSummary(fifth)[0]).toMatch(/tạm khóa/)
    // Even the right password is refused while locked.
    const locked = await visitor.post('/login', { login: 'qt.thucphan', password: 'CaoBang@2026' })
    expect(locked.statusCode).toBe(423)
    expect(await auditActions()).toContain('auth.locked')
    now = new Date(now.getTime() + 16 * 60_000)
    expect(
      (await visitor.post('/login', { login: 'qt.thucphan', password: 'CaoBang@2026' })).statusCode,
    ).toBe(303)
  })

  it('ends a session left idle past the timeout', async () => {
    const visitor = new Visitor(t.app)
    await visitor.login('chuyenvien.sokhcn')
    expect((await visitor.get('/admin')).statusCode).toBe(200)
    now = new Date(now.getTime() + 31 * 60_000)
    const response = await visitor.get('/admin')
    expect(response.statusCode).toBe(303)
    expect(response.headers.location).toBe('/login?next=%2Fadmin')
  })

  it('signs out', async () => {
    const visitor = new Visitor(t.app)
    await visitor.login('chuyenvien.sokhcn')
    await visitor.get('/admin')
    const response = await visitor.post('/logout', {})
    expect(response.statusCode).toBe(303)
    expect((await visitor.get('/admin')).statusCode).toBe(303)
  })

  it('refuses a form whose CSRF token is forged', async () => {
    const visitor = new Visitor(t.app)
    await visitor.get('/login')
    const response = await visitor.post(
      '/login',
      { login: 'chuyenvien.sokhcn', password: 'CaoBang@2026' },
      { csrf: 'forged' },
    )
    expect(response.statusCode).toBe(403)
    expect(html(response).querySelector('main')!.text).toContain(
      'Phiên biểu mẫu đã hết hạn hoặc không hợp lệ',
    )
  })
})

describe('two-factor sign-in', () => {
  it('makes an official of a unit that requires it enrol, then asks for a code at each sign-in', async () => {
    await sql`update org_units set require_totp = true where key = 'so-khcn'`.execute(t.database.db)
    try {
      const visitor = new Visitor(t.app)
      const first = await visitor.login('lanhdao.sokhcn')
      expect(first.headers.location).toBe('/login/second-factor/setup')
      // Not signed in yet: the back office is closed.
      expect((await visitor.get('/admin')).statusCode).toBe(303)
      const setup = await visitor.get('/login/second-factor/setup')
      const secret = html(setup).querySelector('dd.secret')!.text.trim()
      const wrong = await visitor.post('/login/second-factor/setup', { code: '000000' })
      expect(wrong.statusCode).toBe(422)
      const secretAfterWrong = html(wrong).querySelector('dd.secret')!.text.trim()
      expect(secretAfterWrong).toBe(secret)
      const ok = await visitor.post('/login/second-factor/setup', { code: totpCode(secret, now) })
      expect(ok.headers.location).toBe('/admin')
      expect((await visitor.get('/admin')).statusCode).toBe(200)

      const again = new Visitor(t.app)
      const second = await again.login('lanhdao.sokhcn')
      expect(second.headers.location).toMatch(/^\/login\/second-factor/)
      await again.get(second.headers.location as string)
      const done = await again.post(second.headers.location as string, { code: totpCode(secret, now) })
      expect(done.statusCode).toBe(303)
      expect((await again.get('/admin')).statusCode).toBe(200)
    } finally {
      await sql`update org_units set require_totp = false where key = 'so-khcn'`.execute(t.database.db)
    }
  })
})

describe('citizen registration', () => {
  it('re-renders the form with each problem and the values kept', async () => {
    const visitor = new Visitor(t.app)
    await visitor.get('/register')
    const response = await visitor.post('/register', {
      fullName: 'Hoàng Thị Thu',
      citizenId: '12345',
      phone: '',
      email: 'khong-hop-le',
      password: 'ngan',
      passwordConfirm: 'ngan',
    })
    expect(response.statusCode).toBe(422)
    const problems = errorSummary(response)
    expect(problems).toContain('Số định danh cá nhân phải gồm đúng 12 chữ số.')
    expect(problems).toContain('Địa chỉ thư điện tử không hợp lệ.')
    expect(problems).toContain('Mật khẩu phải có ít nhất 10 ký tự.')
    expect(html(response).querySelector('#fullName')?.getAttribute('value')).toBe('Hoàng Thị Thu')
    expect(html(response).querySelector('a[href="#citizenId"]')).not.toBeNull()
  })

  it('refuses a citizen ID whose province code does not exist', async () => {
    const visitor = new Visitor(t.app)
    await visitor.get('/register')
    const response = await visitor.post('/register', {
      fullName: 'Hoàng Thị Thu',
      citizenId: '003190001234',
      phone: '0912345678',
      password: 'matkhau12345',
      passwordConfirm: 'matkhau12345',
    })
    expect(errorSummary(response)).toContain(
      'Ba chữ số đầu của số định danh cá nhân không phải mã tỉnh, thành phố hợp lệ.',
    )
  })

  it('registers a citizen who can then sign in, and refuses the same citizen ID twice', async () => {
    const visitor = new Visitor(t.app)
    await visitor.get('/register')
    const form = {
      fullName: 'Hoàng Thị Thu',
      citizenId: '004190001234',
      phone: '0912 345 678',
      email: '',
      password: 'matkhau12345',
      passwordConfirm: 'matkhau12345',
    }
    const response = await visitor.post('/register', form)
    expect(response.statusCode).toBe(303)
    const login = await visitor.login('0912345678', 'matkhau12345')
    expect(login.headers.location).toBe('/account')
    const again = new Visitor(t.app)
    await again.get('/register')
    const duplicate = await again.post('/register', { ...form, phone: '0987654321' })
    expect(duplicate.statusCode).toBe(422)
    expect(errorSummary(duplicate)[0]).toMatch(/đã có tài khoản/)
  })
})

describe('business representatives', () => {
  it('registers with an enterprise code, and refuses a malformed one', async () => {
    const visitor = new Visitor(t.app)
    await visitor.get('/register')
    const form = {
      fullName: 'Nông Thị Hoa',
      citizenId: '004185002222',
      phone: '0977000111',
      taxCode: '48000',
      password: 'matkhau12345',
      passwordConfirm: 'matkhau12345',
    }
    const bad = await visitor.post('/register', form)
    expect(bad.statusCode).toBe(422)
    expect(errorSummary(bad)[0]).toMatch(/Mã số doanh nghiệp gồm 10 chữ số/)
    const ok = await visitor.post('/register', { ...form, taxCode: '4800123456' })
    expect(ok.statusCode).toBe(303)
    const row = await sql<{
      kind: string
      tax_code: string
    }>`select kind, tax_code from users where phone = '0977000111'`.execute(t.database.db)
    expect(row.rows[0]).toEqual({ kind: 'business', tax_code: '4800123456' })
  })
})

describe('account', () => {
  it('changes the password after checking the current one', async () => {
    const visitor = new Visitor(t.app)
    await visitor.get('/register')
    await visitor.post('/register', {
      fullName: 'Lý Văn Bình',
      citizenId: '004095001111',
      phone: '0911111111',
      password: 'matkhau12345',
      passwordConfirm: 'matkhau12345',
    })
    await visitor.login('0911111111', 'matkhau12345')
    await visitor.get('/account')
    const wrong = await visitor.post('/account/password', {
      currentPassword: 'nope-nope-1',
      password: 'matkhaumoi678',
      passwordConfirm: 'matkhaumoi678',
    })
    expect(wrong.statusCode).toBe(422)
    expect(errorSummary(wrong)).toContain('Mật khẩu hiện tại không đúng.')
    const ok = await visitor.post('/account/password', {
      currentPassword: 'matkhau12345',
      password: 'matkhaumoi678',
      passwordConfirm: 'matkhaumoi678',
    })
    expect(ok.statusCode).toBe(303)
    expect(
      (await new Visitor(t.app).post('/login', { login: '0911111111', password: 'matkhaumoi678' }))
        .statusCode,
    ).toBe(303)
  })

  it('creates a personal access token shown once, accepted by the API until revoked', async () => {
    const visitor = new Visitor(t.app)
    await visitor.login('chuyenvien.sokhcn')
    await visitor.get('/account')
    const created = await visitor.post('/account/tokens', { name: 'Báo cáo', expiresInDays: '30' })
    expect(created.statusCode).toBe(200)
    const token = html(created).querySelector('.notice .secret')!.text.trim()
    expect(token).toMatch(/^cbp_/)
    const me = await t.app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } })
    expect(me.statusCode).toBe(200)
    expect(me.json()).toMatchObject({ username: 'chuyenvien.sokhcn', authenticatedBy: 'token' })
    // The page never shows it again.
    expect((await visitor.get('/account')).body).not.toContain(token)
    const form = html(await visitor.get('/account')).querySelector('form[action$="/revoke"]')!
    await visitor.post(form.getAttribute('action')!, {})
    const after = await t.app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } })
    expect(after.statusCode).toBe(401)
    expect(after.json().error.message).toMatch(/thu hồi/)
  })
})
