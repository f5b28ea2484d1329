import { describe, expect, it } from 'vitest'
import {
  jdnToIso,
  isoToJdn,
  leapMonthOf,
  lunarMonthLength,
  lunarToSolar,
  newMoonJde,
  solarToLunar,
  tetDate,
} from './lunar.js'

describe('Vietnamese lunar calendar', () => {
  it('puts Tết on the dates the Vietnamese calendar publishes for 2024–2030', () => {
    expect(tetDate(2024)).toBe('2024-02-10')
    expect(tetDate(2025)).toBe('2025-01-29')
    expect(tetDate(2026)).toBe('2026-02-17')
    expect(tetDate(2027)).toBe('2027-02-06')
    expect(tetDate(2028)).toBe('2028-01-26')
    // The new moon falls at 23:07 in Hà Nội on 2 February 2030 but 00:07 on 3 February in Beijing:
    // Tết is the 2nd in Việt Nam, the 3rd in China.
    expect(tetDate(2030)).toBe('2030-02-02')
  })

  it("puts Hùng Kings' day (10/3 âm lịch) on 7 April 2025 and 26 April 2026", () => {
    expect(lunarToSolar({ year: 2025, month: 3, day: 10 })).toBe('2025-04-07')
    expect(lunarToSolar({ year: 2026, month: 3, day: 10 })).toBe('2026-04-26')
    expect(solarToLunar('2025-04-07')).toEqual({ year: 2025, month: 3, day: 10, leap: false })
  })

  it('counts new moons in UTC+7, so Tết differs from the Chinese calendar in 1985, 2007 and 2053', () => {
    expect(tetDate(1985)).toBe('1985-01-21')
    expect(tetDate(2007)).toBe('2007-02-17')
    expect(tetDate(2053)).toBe('2053-02-18')
  })

  it('finds the leap month by the first month without a major solar term', () => {
    expect(leapMonthOf(2020)).toBe(4)
    expect(leapMonthOf(2023)).toBe(2)
    expect(leapMonthOf(2025)).toBe(6)
    expect(leapMonthOf(2028)).toBe(5)
    expect(leapMonthOf(2033)).toBe(11)
    expect(leapMonthOf(2024)).toBeNull()
    expect(leapMonthOf(2026)).toBeNull()
    expect(solarToLunar('2025-07-25')).toEqual({ year: 2025, month: 6, day: 1, leap: true })
    expect(lunarToSolar({ year: 2033, month: 11, day: 1, leap: true })).toBe('2033-12-22')
  })

  it('converts well-known festival dates both ways', () => {
    expect(lunarToSolar({ year: 2024, month: 8, day: 15 })).toBe('2024-09-17')
    expect(lunarToSolar({ year: 2025, month: 8, day: 15 })).toBe('2025-10-06')
    expect(solarToLunar('2024-02-09')).toEqual({ year: 2023, month: 12, day: 30, leap: false })
    expect(solarToLunar('2026-02-16')).toEqual({ year: 2025, month: 12, day: 29, leap: false })
    expect(lunarMonthLength(2025, 12)).toBe(29)
  })

  it("reproduces Meeus's worked example of a true new moon", () => {
    expect(newMoonJde(-283)).toBeCloseTo(2443192.65118, 4)
  })

  it('walks day by day from 1901 to 2198 with consecutive lunar dates that round-trip', () => {
    let previous = solarToLunar('1900-12-31')
    const last = isoToJdn('2198-12-31')
    let leapMonths = 0
    for (let jdn = isoToJdn('1901-01-01'); jdn <= last; jdn++) {
      const iso = jdnToIso(jdn)
      const lunar = solarToLunar(iso)
      if (lunar.day === 1) {
        expect([29, 30]).toContain(previous.day)
        if (lunar.leap) {
          leapMonths++
          expect(lunar.month).toBe(previous.month)
        } else {
          expect(lunar.month).toBe((previous.month % 12) + 1)
          expect(lunar.year).toBe(lunar.month === 1 ? previous.year + 1 : previous.year)
        }
      } else {
        expect(lunar).toEqual({ ...previous, day: previous.day + 1 })
      }
      if (lunar.day === 1 || jdn % 97 === 0) expect(lunarToSolar(lunar)).toBe(iso)
      previous = lunar
    }
    // Seven leap months every nineteen years.
    expect(leapMonths).toBeGreaterThanOrEqual(108)
    expect(leapMonths).toBeLessThanOrEqual(111)
  })

  it('refuses lunar dates that do not exist and years outside the supported range', () => {
    expect(() => lunarToSolar({ year: 2024, month: 6, day: 1, leap: true })).toThrow(/không có tháng 6 nhuận/)
    expect(() => lunarToSolar({ year: 2025, month: 12, day: 30 })).toThrow(/có 29 ngày/)
    expect(() => lunarToSolar({ year: 2025, month: 13, day: 1 })).toThrow(RangeError)
    expect(() => solarToLunar('1850-01-01')).toThrow(/1900–2199/)
    expect(() => solarToLunar('2025-02-30')).toThrow(/không tồn tại/)
  })
})
