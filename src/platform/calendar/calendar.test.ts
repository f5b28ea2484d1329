import { afterEach, describe, expect, it } from 'vitest'
import {
  DEFAULT_CALENDAR_RULES,
  localDateOf,
  localInstant,
  parseClock,
  shippedCalendar,
  WorkingCalendar,
} from './calendar.js'
import { DERIVED_SOURCE } from './holidays.js'

const cal = shippedCalendar()
const at = (date: string, time = '00:00'): Date => localInstant(date, time)
const iso = (d: Date): string => d.toISOString()

describe('local time in Asia/Ho_Chi_Minh', () => {
  const originalTz = process.env.TZ
  afterEach(() => {
    process.env.TZ = originalTz
  })

  it('reads wall-clock times as UTC+7 whatever the machine time zone is', () => {
    expect(iso(at('2026-02-13', '16:00'))).toBe('2026-02-13T09:00:00.000Z')
    expect(localDateOf(new Date('2026-02-13T17:00:00Z'))).toBe('2026-02-14')
    const due = iso(cal.addWorkingDays(at('2026-02-13', '10:00'), 3))
    process.env.TZ = 'America/Los_Angeles'
    expect(iso(at('2026-02-13', '16:00'))).toBe('2026-02-13T09:00:00.000Z')
    expect(localDateOf(new Date('2026-02-13T17:00:00Z'))).toBe('2026-02-14')
    expect(iso(cal.addWorkingDays(at('2026-02-13', '10:00'), 3))).toBe(due)
  })

  it('refuses malformed clock times', () => {
    expect(parseClock('07:30')).toBe(27_000_000)
    expect(parseClock('24:00')).toBe(86_400_000)
    expect(() => parseClock('7:30')).toThrow(/HH:MM/)
    expect(() => parseClock('24:30')).toThrow(/HH:MM/)
  })
})

describe('working days', () => {
  it('treats weekends, Tết and swapped days as days off and make-up Saturdays as working days', () => {
    expect(cal.isWorkingDay('2026-02-13')).toBe(true)
    for (const day of ['2026-02-14', '2026-02-16', '2026-02-17', '2026-02-20', '2026-02-22']) {
      expect(cal.isWorkingDay(day), day).toBe(false)
    }
    expect(cal.isWorkingDay('2026-02-23')).toBe(true)
    expect(cal.isWorkingDay('2026-01-02')).toBe(false)
    expect(cal.isWorkingDay('2026-01-10')).toBe(true)
    expect(cal.isWorkingDay('2025-04-26')).toBe(true)
    expect(cal.isWorkingDay('2025-05-02')).toBe(false)
    expect(cal.isWorkingDay('2026-08-22')).toBe(true)
    expect(cal.isWorkingDay('2026-08-31')).toBe(false)
    expect(cal.isWorkingDay('2026-04-27')).toBe(false)
  })

  it('accepts an instant and judges the local day that contains it', () => {
    // 23:30 UTC on Friday 13 February is already Saturday 14 in Việt Nam.
    expect(cal.isWorkingDay(new Date('2026-02-13T16:59:59Z'))).toBe(true)
    expect(cal.isWorkingDay(new Date('2026-02-13T17:00:00Z'))).toBe(false)
  })

  it('says why a day is or is not worked, with the name of the holiday', () => {
    expect(cal.dayStatus('2026-02-17')).toMatchObject({
      working: false,
      reason: 'holiday',
      day: { name: 'Tết Nguyên đán (mùng 1 tháng Giêng)' },
    })
    expect(cal.dayStatus('2026-01-10')).toMatchObject({ working: true, reason: 'makeup' })
    expect(cal.dayStatus('2026-03-07')).toEqual({ date: '2026-03-07', working: false, reason: 'weekly-rest' })
    expect(cal.dayStatus('2026-03-09')).toEqual({ date: '2026-03-09', working: true, reason: 'workday' })
  })

  it('finds the next and previous working day across Tết', () => {
    expect(cal.nextWorkingDay('2026-02-13')).toBe('2026-02-23')
    expect(cal.previousWorkingDay('2026-02-23')).toBe('2026-02-13')
    expect(cal.nextWorkingDay('2026-01-09')).toBe('2026-01-10')
  })

  it('derives years without a data file from the law, e.g. Tết 2028', () => {
    expect(cal.isWorkingDay('2028-01-26')).toBe(false)
    expect(cal.listYear(2028).origin).toBe('derived')
    expect(cal.listYear(2028).days.every((d) => d.source === DERIVED_SOURCE)).toBe(true)
  })

  it('counts a whole year of office time as its working days times the daily hours', () => {
    const minutes2025 = cal.workingTimeBetween(at('2025-01-01'), at('2026-01-01'))
    expect(minutes2025).toBe(250 * 450)
    const minutes2026 = cal.workingTimeBetween(at('2026-01-01'), at('2027-01-01'))
    expect(minutes2026).toBe(250 * 450)
    let days = 0
    for (let d = at('2026-01-01'); d < at('2027-01-01'); d = new Date(d.getTime() + 86_400_000)) {
      if (cal.isWorkingDay(d)) days++
    }
    expect(days).toBe(250)
  })
})

describe('addWorkingDays', () => {
  it('crosses the nine days of Tết 2026 and ends at 17:00 of the last working day', () => {
    // Friday 13/2 before the cut-off: day 1 is Monday 23/2, day 3 Wednesday 25/2.
    expect(iso(cal.addWorkingDays(at('2026-02-13', '10:00'), 3))).toBe(iso(at('2026-02-25', '17:00')))
  })

  it('crosses Tết 2025', () => {
    expect(iso(cal.addWorkingDays(at('2025-01-24', '09:00'), 5))).toBe(iso(at('2025-02-07', '17:00')))
  })

  it('counts an intake after the 15:00 cut-off from the working day after next', () => {
    expect(iso(cal.addWorkingDays(at('2026-02-12', '14:59'), 1))).toBe(iso(at('2026-02-13', '17:00')))
    expect(iso(cal.addWorkingDays(at('2026-02-12', '15:30'), 1))).toBe(iso(at('2026-02-23', '17:00')))
    expect(cal.receiptDate(at('2026-02-12', '15:30'))).toBe('2026-02-13')
  })

  it('treats an intake at exactly 15:00 as before the cut-off and one a second later as after', () => {
    expect(iso(cal.addWorkingDays(at('2025-03-04', '15:00'), 1))).toBe(iso(at('2025-03-05', '17:00')))
    expect(iso(cal.addWorkingDays(at('2025-03-04', '15:00:01'), 1))).toBe(iso(at('2025-03-06', '17:00')))
  })

  it('counts an intake on a weekend or holiday as received on the next working day', () => {
    expect(cal.receiptDate(at('2025-03-08', '10:00'))).toBe('2025-03-10')
    expect(iso(cal.addWorkingDays(at('2025-03-08', '10:00'), 1))).toBe(iso(at('2025-03-11', '17:00')))
    expect(iso(cal.addWorkingDays(at('2025-04-30', '09:00'), 1))).toBe(iso(at('2025-05-06', '17:00')))
  })

  it('counts make-up Saturdays as working days and skips swapped days off', () => {
    // Friday 25/4/2025: day 1 is the make-up Saturday 26/4.
    expect(iso(cal.addWorkingDays(at('2025-04-25', '09:00'), 1))).toBe(iso(at('2025-04-26', '17:00')))
    // Friday 9/1/2026 → Saturday 10/1 (make-up) → Monday 12/1.
    expect(iso(cal.addWorkingDays(at('2026-01-09', '09:00'), 2))).toBe(iso(at('2026-01-12', '17:00')))
    // Wednesday 31/12/2025: 1/1 and the swapped 2/1 are off, so day 1 is Monday 5/1.
    expect(iso(cal.addWorkingDays(at('2025-12-31', '09:00'), 1))).toBe(iso(at('2026-01-05', '17:00')))
  })

  it('accepts intake on a make-up Saturday, with the cut-off applying that day too', () => {
    expect(iso(cal.addWorkingDays(at('2026-08-22', '10:00'), 1))).toBe(iso(at('2026-08-24', '17:00')))
    // After 15:00 on 22/8: received Monday 24/8, but 31/8–2/9 are off, day 1 is 25/8.
    expect(iso(cal.addWorkingDays(at('2026-08-22', '16:00'), 1))).toBe(iso(at('2026-08-25', '17:00')))
    expect(iso(cal.addWorkingDays(at('2026-08-28', '10:00'), 1))).toBe(iso(at('2026-09-03', '17:00')))
  })

  it('returns the end of the receipt day for zero days and refuses fractional or negative counts', () => {
    expect(iso(cal.addWorkingDays(at('2025-03-04', '09:00'), 0))).toBe(iso(at('2025-03-04', '17:00')))
    expect(iso(cal.addWorkingDays(at('2025-03-04', '16:00'), 0))).toBe(iso(at('2025-03-05', '17:00')))
    expect(() => cal.addWorkingDays(at('2025-03-04'), 1.5)).toThrow(RangeError)
    expect(() => cal.addWorkingDays(at('2025-03-04'), -1)).toThrow(RangeError)
    expect(() => cal.addWorkingDays(new Date(NaN), 1)).toThrow(RangeError)
  })
})

describe('addWorkingHours', () => {
  it('skips the lunch break', () => {
    expect(iso(cal.addWorkingHours(at('2025-03-03', '10:00'), 3))).toBe(iso(at('2025-03-03', '15:00')))
  })

  it('ends at the close of a session rather than the start of the next', () => {
    expect(iso(cal.addWorkingHours(at('2025-03-03', '11:00'), 0.5))).toBe(iso(at('2025-03-03', '11:30')))
    expect(iso(cal.addWorkingHours(at('2025-03-03', '07:30'), 7.5))).toBe(iso(at('2025-03-03', '17:00')))
  })

  it('starts at the next opening when given a time outside office hours', () => {
    expect(iso(cal.addWorkingHours(at('2025-03-03', '06:00'), 1))).toBe(iso(at('2025-03-03', '08:30')))
    expect(iso(cal.addWorkingHours(at('2025-03-03', '12:00'), 1))).toBe(iso(at('2025-03-03', '14:30')))
    expect(iso(cal.addWorkingHours(at('2025-03-03', '20:00'), 1))).toBe(iso(at('2025-03-04', '08:30')))
  })

  it('carries over a weekend and over Tết', () => {
    expect(iso(cal.addWorkingHours(at('2025-03-07', '16:00'), 2))).toBe(iso(at('2025-03-10', '08:30')))
    expect(iso(cal.addWorkingHours(at('2026-02-13', '16:00'), 8))).toBe(iso(at('2026-02-23', '16:30')))
    expect(iso(cal.addWorkingHours(at('2026-02-13', '16:00'), 9))).toBe(iso(at('2026-02-24', '08:00')))
  })

  it('works on a make-up Saturday', () => {
    expect(iso(cal.addWorkingHours(at('2026-01-09', '16:30'), 1))).toBe(iso(at('2026-01-10', '08:00')))
  })

  it('returns the start for zero hours and refuses negative or non-finite amounts', () => {
    expect(iso(cal.addWorkingHours(at('2025-03-08', '10:00'), 0))).toBe(iso(at('2025-03-08', '10:00')))
    expect(() => cal.addWorkingHours(at('2025-03-03'), -1)).toThrow(RangeError)
    expect(() => cal.addWorkingHours(at('2025-03-03'), Infinity)).toThrow(RangeError)
  })

  it('adds minutes as well as hours over long spans', () => {
    // 40 working days of 7.5 hours from the opening of Monday 5/1/2026.
    const end = cal.addWorkingMinutes(at('2026-01-05', '07:30'), 40 * 450)
    expect(cal.workingTimeBetween(at('2026-01-05', '07:30'), end)).toBe(40 * 450)
    expect(cal.isOfficeHours(new Date(end.getTime() - 1))).toBe(true)
  })
})

describe('workingTimeBetween', () => {
  it('counts office minutes only', () => {
    expect(cal.workingTimeBetween(at('2025-03-03', '08:00'), at('2025-03-03', '14:00'))).toBe(240)
    expect(cal.workingTimeBetween(at('2025-03-03', '12:00'), at('2025-03-03', '13:00'))).toBe(0)
    expect(cal.workingTimeBetween(at('2025-03-07', '16:00'), at('2025-03-10', '08:30'))).toBe(120)
  })

  it('gives a negative figure when the end comes first and zero for the same instant', () => {
    expect(cal.workingTimeBetween(at('2025-03-03', '14:00'), at('2025-03-03', '08:00'))).toBe(-240)
    expect(cal.workingTimeBetween(at('2025-03-03', '09:00'), at('2025-03-03', '09:00'))).toBe(0)
  })

  it('measures how late a dossier is across Tết, counting nothing for the days off', () => {
    const due = at('2026-02-13', '17:00')
    expect(cal.workingTimeBetween(due, at('2026-02-23', '09:30'))).toBe(120)
  })

  it('keeps fractions of a minute', () => {
    expect(cal.workingTimeBetween(at('2025-03-03', '08:00'), at('2025-03-03', '08:00:30'))).toBe(0.5)
  })

  it('inverts addWorkingHours for arbitrary starts and amounts', () => {
    let seed = 20260217
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
      return seed / 2 ** 31
    }
    const base = at('2024-12-01').getTime()
    for (let i = 0; i < 500; i++) {
      const from = new Date(base + Math.floor(random() * 3 * 365 * 86_400_000))
      const hours = Math.round(random() * 400 * 4) / 4
      const end = cal.addWorkingHours(from, hours)
      expect(cal.workingTimeBetween(from, end)).toBeCloseTo(hours * 60, 9)
      if (hours > 0)
        expect(cal.workingTimeBetween(from, new Date(end.getTime() - 1))).toBeLessThan(hours * 60)
    }
  })
})

describe('rules as data', () => {
  it('exports the default office hours and cut-off', () => {
    expect(DEFAULT_CALENDAR_RULES).toEqual({
      officeHours: [
        { start: '07:30', end: '11:30' },
        { start: '13:30', end: '17:00' },
      ],
      cutoff: '15:00',
      weeklyRestDays: [0, 6],
    })
  })

  it('applies other office hours, cut-off and weekly rest days over the same holidays', () => {
    const other = cal.withRules({ officeHours: [{ start: '08:00', end: '16:00' }], cutoff: '16:00' })
    expect(iso(other.addWorkingDays(at('2026-02-12', '15:30'), 1))).toBe(iso(at('2026-02-13', '16:00')))
    expect(other.workingTimeBetween(at('2025-03-03'), at('2025-03-04'))).toBe(480)
    expect(other.isWorkingDay('2026-02-17')).toBe(false)
    const sixDays = cal.withRules({ weeklyRestDays: [0] })
    expect(sixDays.isWorkingDay('2025-03-08')).toBe(true)
  })

  it('refuses rules that make no sense', () => {
    expect(() => new WorkingCalendar({ rules: { officeHours: [] } })).toThrow(/ít nhất một buổi/)
    expect(
      () =>
        new WorkingCalendar({
          rules: {
            officeHours: [
              { start: '07:30', end: '12:00' },
              { start: '11:00', end: '17:00' },
            ],
          },
        }),
    ).toThrow(/chồng/)
    expect(() => new WorkingCalendar({ rules: { cutoff: '3pm' } })).toThrow(/HH:MM/)
    expect(() => new WorkingCalendar({ rules: { weeklyRestDays: [0, 1, 2, 3, 4, 5, 6] } })).toThrow()
  })
})

describe('explicit data', () => {
  it('uses only the given days for their years and weekends alone elsewhere when derivation is off', () => {
    const test = new WorkingCalendar({
      days: [
        { date: '2031-03-05', kind: 'holiday', name: 'Ngày nghỉ thử', source: 'test' },
        { date: '2031-03-08', kind: 'makeup', name: 'Làm bù thử', source: 'test' },
      ],
      deriveMissingYears: false,
    })
    expect(test.isWorkingDay('2031-03-05')).toBe(false)
    expect(test.isWorkingDay('2031-03-08')).toBe(true)
    expect(test.isWorkingDay('2031-01-01')).toBe(true)
    expect(test.isWorkingDay('2032-01-01')).toBe(true)
    expect(test.listYear(2031).origin).toBe('data')
    expect(test.listYear(2032)).toEqual({ year: 2032, origin: 'none', days: [] })
    expect(test.dataYears()).toEqual([2031])
  })

  it('rejects an impossible date, naming where it came from', () => {
    const days = [
      { date: '2031-02-30', kind: 'holiday' as const, name: 'x', source: 'y', origin: '2031.csv:2' },
    ]
    expect(() => new WorkingCalendar({ days })).toThrow(/2031\.csv:2/)
  })

  it('keeps a make-up Saturday a working day under rules that already work on Saturdays', () => {
    const sixDays = cal.withRules({ weeklyRestDays: [0] })
    expect(sixDays.isWorkingDay('2025-04-26')).toBe(true)
    expect(sixDays.isWorkingDay('2025-05-02')).toBe(false)
  })

  it('lists a year with names for an admin page', () => {
    const listing = cal.listYear(2026)
    expect(listing.origin).toBe('data')
    expect(listing.days.find((d) => d.date === '2026-08-22')).toMatchObject({
      kind: 'makeup',
      name: 'Làm bù cho ngày nghỉ hoán đổi thứ Hai 31/8/2026',
    })
    expect(listing.days.map((d) => d.date)).toEqual([...listing.days.map((d) => d.date)].sort())
  })
})
