import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  CalendarDataError,
  DERIVED_SOURCE,
  deriveStatutoryDays,
  loadCalendarDir,
  parseCalendarCsv,
  shippedCalendarData,
  weekdayOf,
} from './holidays.js'

const HEADER = 'date,kind,name,source\n'

function weekdayHolidays(
  days: readonly { date: string; kind: string }[],
  from: string,
  to: string,
): string[] {
  return days
    .filter((d) => d.kind === 'holiday' && d.date >= from && d.date <= to)
    .filter((d) => weekdayOf(d.date) !== 0 && weekdayOf(d.date) !== 6)
    .map((d) => d.date)
}

describe('calendar CSV files', () => {
  it('parses rows into days that remember their file and line', () => {
    const days = parseCalendarCsv(
      HEADER + '2025-04-26,makeup,Làm bù,"Thủ tướng, 2025"\n2025-01-01,holiday,Tết Dương lịch,BLLĐ\n',
      '2025.csv',
      2025,
    )
    expect(days).toEqual([
      { date: '2025-01-01', kind: 'holiday', name: 'Tết Dương lịch', source: 'BLLĐ', origin: '2025.csv:3' },
      { date: '2025-04-26', kind: 'makeup', name: 'Làm bù', source: 'Thủ tướng, 2025', origin: '2025.csv:2' },
    ])
  })

  it.each([
    ['a bad header', 'date,kind,name\n', /dòng 1: tiêu đề/],
    [
      'a malformed date',
      HEADER + '2025-01-01,holiday,A,B\n2025-1-2,holiday,A,B\n',
      /dòng 3: ngày "2025-1-2"/,
    ],
    ['an impossible date', HEADER + '2025-02-29,holiday,A,B\n', /dòng 2: ngày "2025-02-29" không tồn tại/],
    ['an unknown kind', HEADER + '2025-01-01,vacation,A,B\n', /dòng 2: loại "vacation"/],
    ['a missing column', HEADER + '2025-01-01,holiday,A\n', /dòng 2: cần 4 cột/],
    ['an empty name', HEADER + '2025-01-01,holiday, ,B\n', /dòng 2: thiếu tên/],
    ['an empty source', HEADER + '2025-01-01,holiday,A,\n', /dòng 2: thiếu nguồn/],
    ['a duplicated date', HEADER + '2025-01-01,holiday,A,B\n2025-01-01,holiday,C,D\n', /dòng 3: .*dòng 2/],
    ['a make-up day on a weekday', HEADER + '2025-04-25,makeup,A,B\n', /dòng 2: ngày làm bù/],
    ['a date of another year', HEADER + '2026-01-01,holiday,A,B\n', /dòng 2: .*năm 2025/],
  ])('throws an error naming the file and line for %s', (_, text, message) => {
    const error = (() => {
      try {
        parseCalendarCsv(text, '2025.csv', 2025)
      } catch (e) {
        return e
      }
      return undefined
    })()
    expect(error).toBeInstanceOf(CalendarDataError)
    expect((error as CalendarDataError).file).toBe('2025.csv')
    expect((error as Error).message).toMatch(/2025\.csv/)
    expect((error as Error).message).toMatch(message)
  })

  it('loads every YYYY.csv of a directory and refuses other CSV names', () => {
    const dir = mkdtempSync(join(tmpdir(), 'calendar-'))
    try {
      writeFileSync(join(dir, '2030.csv'), HEADER + '2030-01-01,holiday,Tết Dương lịch,BLLĐ\n')
      writeFileSync(join(dir, 'SOURCES.md'), '# nguồn\n')
      expect([...loadCalendarDir(dir).keys()]).toEqual([2030])
      writeFileSync(join(dir, 'extra.csv'), HEADER)
      expect(() => loadCalendarDir(dir)).toThrow(/extra\.csv/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('shipped calendar data', () => {
  const data = shippedCalendarData()

  it('ships 2025, 2026 and 2027, every row with a name and a source', () => {
    expect([...data.keys()].sort()).toEqual([2025, 2026, 2027])
    for (const days of data.values()) {
      for (const day of days) {
        expect(day.name.length).toBeGreaterThan(0)
        expect(day.source.length).toBeGreaterThan(0)
      }
    }
  })

  it('holds the official 2025 schedule: Tết 27–31/1, swap of 2/5 for Saturday 26/4, 1–2/9', () => {
    const days = data.get(2025)!
    expect(weekdayHolidays(days, '2025-01-01', '2025-12-31')).toEqual([
      '2025-01-01',
      '2025-01-27',
      '2025-01-28',
      '2025-01-29',
      '2025-01-30',
      '2025-01-31',
      '2025-04-07',
      '2025-04-30',
      '2025-05-01',
      '2025-05-02',
      '2025-09-01',
      '2025-09-02',
    ])
    expect(days.filter((d) => d.kind === 'makeup').map((d) => d.date)).toEqual(['2025-04-26'])
  })

  it('holds the official 2026 schedule: swaps of 2/1 and 31/8, Tết 16–20/2, Giỗ Tổ compensated on 27/4', () => {
    const days = data.get(2026)!
    expect(weekdayHolidays(days, '2026-01-01', '2026-12-31')).toEqual([
      '2026-01-01',
      '2026-01-02',
      '2026-02-16',
      '2026-02-17',
      '2026-02-18',
      '2026-02-19',
      '2026-02-20',
      '2026-04-27',
      '2026-04-30',
      '2026-05-01',
      '2026-08-31',
      '2026-09-01',
      '2026-09-02',
    ])
    expect(days.filter((d) => d.kind === 'makeup').map((d) => d.date)).toEqual(['2026-01-10', '2026-08-22'])
  })

  it('ships 2027 exactly as the law derives it, marked as awaiting the official notice', () => {
    const shipped = data.get(2027)!.map(({ origin: _origin, ...day }) => day)
    expect(shipped).toEqual(deriveStatutoryDays(2027))
    expect(shipped.every((d) => d.source === DERIVED_SOURCE)).toBe(true)
  })
})

describe('days derived from the Labour Code', () => {
  it('gives the same Tết weekdays off as the official notices of 2021–2026', () => {
    const official: Record<number, [string, string, string[]]> = {
      2021: [
        '2021-02-01',
        '2021-02-28',
        ['2021-02-10', '2021-02-11', '2021-02-12', '2021-02-15', '2021-02-16'],
      ],
      2023: [
        '2023-01-15',
        '2023-01-31',
        ['2023-01-20', '2023-01-23', '2023-01-24', '2023-01-25', '2023-01-26'],
      ],
      2024: [
        '2024-02-01',
        '2024-02-29',
        ['2024-02-08', '2024-02-09', '2024-02-12', '2024-02-13', '2024-02-14'],
      ],
      2025: [
        '2025-01-15',
        '2025-02-15',
        weekdayHolidays(shippedCalendarData().get(2025)!, '2025-01-15', '2025-02-15'),
      ],
      2026: [
        '2026-02-01',
        '2026-02-28',
        weekdayHolidays(shippedCalendarData().get(2026)!, '2026-02-01', '2026-02-28'),
      ],
    }
    for (const [year, [from, to, expected]] of Object.entries(official)) {
      expect(weekdayHolidays(deriveStatutoryDays(Number(year)), from, to), year).toEqual(expected)
    }
  })

  it('compensates a holiday on a weekend on the next working day that is not itself a holiday', () => {
    // 2022: 30/4 Saturday and 1/5 Sunday → Monday 2/5 and Tuesday 3/5.
    const may = deriveStatutoryDays(2022).filter((d) => d.date >= '2022-04-30' && d.date <= '2022-05-31')
    expect(may.map((d) => d.date)).toEqual(['2022-04-30', '2022-05-01', '2022-05-02', '2022-05-03'])
    expect(may[2]!.name).toBe('Nghỉ bù Ngày Chiến thắng (30/4) trùng thứ Bảy')
  })

  it('joins the extra National Day to a weekend when it can, else takes the day before', () => {
    const adjacent = (year: number): string =>
      deriveStatutoryDays(year).find((d) => d.name.startsWith('Quốc khánh (ngày liền kề'))!.date
    expect(adjacent(2021)).toBe('2021-09-03') // Thursday → Friday
    expect(adjacent(2022)).toBe('2022-09-01') // Friday → Thursday
    expect(adjacent(2023)).toBe('2023-09-01') // Saturday → Friday, and Monday 4/9 compensates
    expect(adjacent(2024)).toBe('2024-09-03') // Monday → Tuesday
    expect(adjacent(2025)).toBe('2025-09-01') // Tuesday → Monday
    expect(adjacent(2026)).toBe('2026-09-01') // Wednesday → Tuesday
  })
})
