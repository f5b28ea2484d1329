import AxeBuilder from '@axe-core/playwright'
import { writeFileSync } from 'node:fs'
import { afterAll, beforeAll, it } from 'vitest'
import { logIn, startBrowserRig, submit, type BrowserRig } from './support.js'

let rig: BrowserRig
beforeAll(async () => { rig = await startBrowserRig() }, 60_000)
afterAll(async () => { await rig?.close() }, 60_000)

it('debug', async () => {
  const out: string[] = []
  const anon = await rig.newContext()
  const admin = await rig.newContext()
  const p0 = await admin.newPage()
  await logIn(p0, 'quantri')
  const pages: [typeof anon, string, ((p: import('playwright-core').Page) => Promise<void>)?][] = [
    [anon, '/'], [anon, '/login'], [anon, '/register'],
    [anon, '/login', async (p) => { await submit(p, 'Đăng nhập') }],
    [anon, '/register', async (p) => { await submit(p, 'Đăng ký') }],
    [admin, '/admin'], [admin, '/admin/units'], [admin, '/admin/units/new'], [admin, '/admin/users'], [admin, '/admin/users/new'],
    [admin, '/admin/audit'], [admin, '/account'],
  ]
  for (const [ctx, path, prep] of pages) {
    const page = await ctx.newPage()
    await page.goto(path)
    if (prep) await prep(page)
    const r = await new AxeBuilder({ page }).withTags(['wcag2a','wcag2aa','wcag21a','wcag21aa','wcag22aa','best-practice']).analyze()
    out.push(`== ${path}${prep ? ' (errors)' : ''} ${page.url()} passes=${r.passes.length} violations=${r.violations.length} incomplete=${r.incomplete.length}`)
    for (const v of r.violations) out.push(`  V ${v.impact} ${v.id} [${v.tags.join(',')}] ${v.help} :: ${v.nodes.map(n => JSON.stringify(n.target)).slice(0,6).join(' ')}`)
    for (const v of r.incomplete) out.push(`  I ${v.impact} ${v.id} ${v.help} :: ${v.nodes.map(n => JSON.stringify(n.target) + ' ' + (n.any[0]?.message ?? '')).slice(0,4).join(' | ')}`)
    await page.close()
  }
  const p = await admin.newPage()
  await p.goto('/admin'); await p.screenshot({ path: '/tmp/screens/admin.png', fullPage: true })
  await p.goto('/admin/units/new'); await submit(p, 'Thêm đơn vị'); await p.screenshot({ path: '/tmp/screens/unit-errors.png', fullPage: true })
  const q = await anon.newPage()
  await q.goto('/login'); await q.screenshot({ path: '/tmp/screens/login.png', fullPage: true })
  await q.setViewportSize({ width: 375, height: 700 }); await q.screenshot({ path: '/tmp/screens/login-mobile.png', fullPage: true })
  writeFileSync('/tmp/screens/axe.txt', out.join('\n'))
}, 120_000)
