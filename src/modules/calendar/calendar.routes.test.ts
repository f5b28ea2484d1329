import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, html, type TestApp } from '../../../test/app.js'

let t: TestApp
beforeAll(async () => {
  t = await createTestApp({ clock: () => new Date('2026-11-27T02:00:00Z') })
})
afterAll(() => t.close())

describe('working calendar API and page', () => {
  it('computes a deadline that crosses Tết for an intake after the cut-off', async () => {
    const response = await t.app.inject({
      url: '/api/v1/calendar/due?receivedAt=2026-02-13T09:00:00Z&workingDays=3',
    })
    expect(response.statusCode).toBe(200)
    // 16:00 on Friday 13/2 is after the 15:00 cut-off; Tết closes 14–22/2; counting starts the day after 23/2.
    expect(response.json()).toEqual({
      receivedAt: '2026-02-13T09:00:00.000Z',
      countsFrom: '2026-02-23',
      dueAt: '2026-02-26T10:00:00.000Z',
      dueDate: '2026-02-26',
    })
  })

  it('lists the days off and make-up days of a year', async () => {
    const response = await t.app.inject({ url: '/api/v1/calendar/days?year=2025' })
    const body = response.json()
    expect(body.origin).toBe('data')
    expect(body.days).toContainEqual(expect.objectContaining({ date: '2025-04-26', kind: 'makeup' }))
    expect(body.days).toContainEqual(expect.objectContaining({ date: '2025-04-07', kind: 'holiday' }))
  })

  it('refuses an impossible year or date with a Vietnamese 400', async () => {
    const year = await t.app.inject({ url: '/api/v1/calendar/days?year=abc' })
    expect(year.statusCode).toBe(400)
    expect(year.json().error.message).toContain('"year"')
    const date = await t.app.inject({ url: '/api/v1/calendar/due?receivedAt=hom-qua&workingDays=3' })
    expect(date.statusCode).toBe(400)
  })

  it('shows the current year on a public page, warning when the days are only derived', async () => {
    const page = await t.app.inject({ url: '/calendar' })
    expect(html(page).querySelector('h1')?.text).toBe('Lịch làm việc năm 2026')
    const derived = await t.app.inject({ url: '/calendar?year=2027' })
    expect(html(derived).querySelector('.warning')?.text).toContain('Chưa có thông báo chính thức')
  })
})
