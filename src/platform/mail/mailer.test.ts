import { SMTPServer } from 'smtp-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, Visitor, type TestApp } from '../../../test/app.js'

// A real SMTP server on loopback receives what the platform sends.
const received: { to: string[]; body: string }[] = []
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  onData(stream, session, callback) {
    let body = ''
    stream.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')))
    stream.on('end', () => {
      received.push({ to: session.envelope.rcptTo.map((r) => r.address), body })
      callback()
    })
  },
})
let t: TestApp

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.server.address() as { port: number }
  t = await createTestApp({ env: { SMTP_URL: `smtp://127.0.0.1:${port}`, LOGIN_MAX_FAILURES: '3' } })
})
afterAll(async () => {
  await t.close()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

describe('security notices by e-mail', () => {
  it('tells the account holder when their account is locked', async () => {
    const visitor = new Visitor(t.app)
    await visitor.get('/register')
    await visitor.post('/register', {
      fullName: 'Triệu Văn Sơn',
      citizenId: '004090003333',
      phone: '',
      email: 'son@example.vn',
      password: 'matkhau12345',
      passwordConfirm: 'matkhau12345',
    })
    for (let i = 0; i < 3; i++)
      await visitor.post('/login', { login: 'son@example.vn', password: `sai-${i}-mat-khau` })
    await expect.poll(() => received.length, { timeout: 10_000 }).toBe(1)
    expect(received[0]!.to).toEqual(['son@example.vn'])
    expect(received[0]!.body).toMatch(/Subject: =\?UTF-8\?/)
  })
})
