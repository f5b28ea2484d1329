/**
 * Public holidays, swapped days off and make-up working days, per year.
 *
 * Two origins, never mixed within one year:
 *  - data: `data/calendar/YYYY.csv`, transcribed from each year's official notice (see SOURCES.md);
 *  - derived: for a year with no file, the days computed from the Labour Code 2019
 *    (Art. 111(3) and 112) by `deriveStatutoryDays`; they carry DERIVED_SOURCE.
 * A year's notice can only add swaps on top of the law, so a file, when present, is the whole truth.
 *
 * CSV: header `date,kind,name,source`; `kind` is `holiday` (no work for civil servants) or
 * `makeup` (a Saturday or Sunday worked to pay back a swapped day). Fields may be quoted with ",
 * a doubled "" inside quotes is one quote. Any defect throws CalendarDataError naming file and line.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isoToJdn, jdnToIso, lunarToSolar, solarToLunar, tetDate } from './lunar.js'
import { CsvSyntaxError, parseCsv, type CsvRecord } from '../csv.js'

export type DayKind = 'holiday' | 'makeup'

export interface CalendarDay {
  /** Local civil date, 'YYYY-MM-DD'. */
  date: string
  kind: DayKind
  /** Vietnamese name shown to people. */
  name: string
  /** Legal basis / notice the day comes from. */
  source: string
  /** Where the row was read, 'YYYY.csv:LINE', when it came from a file. */
  origin?: string
}

export const DAY_KINDS: readonly DayKind[] = ['holiday', 'makeup']

/** Source text of every derived day, so an admin sees at once that no notice backs it yet. */
export const DERIVED_SOURCE = 'Suy ra từ BLLĐ 2019 Điều 111(3), 112; chưa có thông báo chính thức'

/** Civil servants' weekly rest: Saturday and Sunday (0 = Sunday … 6 = Saturday). */
export const DEFAULT_WEEKLY_REST_DAYS: readonly number[] = [0, 6]

/** `data/calendar` of the project; the same three levels up from `src/…` and from the built `dist/…`. */
export const SHIPPED_DATA_DIR: string = fileURLToPath(new URL('../../../data/calendar/', import.meta.url))

export class CalendarDataError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    detail: string,
  ) {
    super(`Dữ liệu lịch không hợp lệ: ${file}, dòng ${line}: ${detail}`)
    this.name = 'CalendarDataError'
  }
}

const WEEKDAY_NAMES = ['Chủ nhật', 'thứ Hai', 'thứ Ba', 'thứ Tư', 'thứ Năm', 'thứ Sáu', 'thứ Bảy']

/** 0 = Sunday … 6 = Saturday, from a Julian Day Number. */
export function weekdayOfJdn(jdn: number): number {
  return (jdn + 1) % 7
}

export function weekdayOf(iso: string): number {
  return weekdayOfJdn(isoToJdn(iso))
}

const HEADER = ['date', 'kind', 'name', 'source']
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/

/**
 * Reads one year's CSV. `expectedYear`, when given (from the file name), must be the year of
 * every date: a row filed under the wrong year would be silently shadowed by derived data.
 */
export function parseCalendarCsv(text: string, file: string, expectedYear?: number): CalendarDay[] {
  let records: CsvRecord[]
  try {
    records = parseCsv(text, file)
  } catch (error) {
    if (error instanceof CsvSyntaxError) throw new CalendarDataError(file, error.line, error.detail)
    throw error
  }
  const header = records[0]
  if (!header) throw new CalendarDataError(file, 1, 'tệp rỗng, cần dòng tiêu đề date,kind,name,source')
  const got = header.fields.map((f) => f.trim())
  if (got.length !== HEADER.length || got.some((f, i) => f !== HEADER[i])) {
    throw new CalendarDataError(
      file,
      header.line,
      `tiêu đề phải là "${HEADER.join(',')}", gặp "${got.join(',')}"`,
    )
  }

  const days: CalendarDay[] = []
  const seen = new Map<string, number>()
  for (const { line, fields } of records.slice(1)) {
    if (fields.length !== HEADER.length) {
      throw new CalendarDataError(file, line, `cần ${HEADER.length} cột, gặp ${fields.length}`)
    }
    const [date, kind, name, source] = fields.map((f) => f.trim()) as [string, string, string, string]
    if (!ISO_DATE.test(date))
      throw new CalendarDataError(file, line, `ngày "${date}" không đúng dạng YYYY-MM-DD`)
    let jdn: number
    try {
      jdn = isoToJdn(date)
    } catch {
      throw new CalendarDataError(file, line, `ngày "${date}" không tồn tại`)
    }
    if (expectedYear !== undefined && Number(date.slice(0, 4)) !== expectedYear) {
      throw new CalendarDataError(file, line, `ngày ${date} không thuộc năm ${expectedYear} của tệp`)
    }
    if (!(DAY_KINDS as readonly string[]).includes(kind)) {
      throw new CalendarDataError(file, line, `loại "${kind}" không hợp lệ (holiday hoặc makeup)`)
    }
    if (name === '') throw new CalendarDataError(file, line, 'thiếu tên ngày')
    if (source === '') throw new CalendarDataError(file, line, 'thiếu nguồn (source)')
    const previous = seen.get(date)
    if (previous !== undefined) {
      throw new CalendarDataError(file, line, `ngày ${date} đã có ở dòng ${previous}`)
    }
    if (kind === 'makeup' && !DEFAULT_WEEKLY_REST_DAYS.includes(weekdayOfJdn(jdn))) {
      throw new CalendarDataError(file, line, `ngày làm bù ${date} phải là thứ Bảy hoặc Chủ nhật`)
    }
    seen.set(date, line)
    days.push({ date, kind: kind as DayKind, name, source, origin: `${file}:${line}` })
  }
  return days.sort((a, b) => a.date.localeCompare(b.date))
}

const YEAR_FILE = /^(\d{4})\.csv$/

/** Every `YYYY.csv` of a directory; another `.csv` name is a mistake worth stopping for. */
export function loadCalendarDir(dir: string): Map<number, CalendarDay[]> {
  const years = new Map<number, CalendarDay[]>()
  for (const entry of readdirSync(dir).sort()) {
    if (!entry.toLowerCase().endsWith('.csv')) continue
    const match = YEAR_FILE.exec(entry)
    if (!match) throw new CalendarDataError(entry, 0, 'tên tệp phải là YYYY.csv')
    const year = Number(match[1])
    const text = readFileSync(join(dir, entry), 'utf8')
    years.set(year, parseCalendarCsv(text, basename(entry), year))
  }
  return years
}

let shipped: Map<number, CalendarDay[]> | undefined

/** The shipped data, read once per process. */
export function shippedCalendarData(): ReadonlyMap<number, readonly CalendarDay[]> {
  shipped ??= loadCalendarDir(SHIPPED_DATA_DIR)
  return shipped
}

// ---------------------------------------------------------------------------------------------
// Derivation from the Labour Code

/**
 * The days off a year gets from the law alone, as the Prime Minister's notices have applied it:
 *  - 1/1; 30/4; 1/5; Giỗ Tổ Hùng Vương (10/3 âm lịch);
 *  - Tết: the last two days of the old lunar year and mùng 1–3 — the split every notice from
 *    2021 to 2026 used (2026's 29 Chạp–mùng 4 is the same days once its Sunday is compensated);
 *  - 2/9 and one adjacent weekday, preferring the one that joins a weekend, otherwise the day
 *    before (matches 2021–2026);
 *  - a statutory day on a weekly rest day is compensated on the next working day that is not
 *    itself a holiday (Art. 111(3)).
 * Swaps and make-up Saturdays are decided each year and cannot be derived.
 */
export function deriveStatutoryDays(
  year: number,
  weeklyRestDays: readonly number[] = DEFAULT_WEEKLY_REST_DAYS,
): CalendarDay[] {
  const isRest = (jdn: number): boolean => weeklyRestDays.includes(weekdayOfJdn(jdn))
  const statutory = new Map<number, string>()
  const add = (jdn: number, name: string): void => {
    statutory.set(jdn, name)
  }
  const day = (month: number, d: number): number =>
    isoToJdn(`${year}-${String(month).padStart(2, '0')}-${String(d).padStart(2, '0')}`)

  add(day(1, 1), 'Tết Dương lịch (1/1)')

  const tet = isoToJdn(tetDate(year))
  for (let offset = -2; offset <= 2; offset++) {
    const jdn = tet + offset
    const lunar = solarToLunar(jdnToIso(jdn))
    const label = offset < 0 ? `${lunar.day} tháng Chạp` : `mùng ${lunar.day} tháng Giêng`
    add(jdn, `Tết Nguyên đán (${label})`)
  }

  add(isoToJdn(lunarToSolar({ year, month: 3, day: 10 })), 'Giỗ Tổ Hùng Vương (10/3 âm lịch)')
  add(day(4, 30), 'Ngày Chiến thắng (30/4)')
  add(day(5, 1), 'Ngày Quốc tế Lao động (1/5)')

  const national = day(9, 2)
  add(national, 'Quốc khánh (2/9)')
  const before = national - 1
  const after = national + 1
  let adjacent: number
  if (isRest(before)) adjacent = after
  else if (isRest(after)) adjacent = before
  else if (isRest(after + 1) && !isRest(before - 1)) adjacent = after
  else adjacent = before
  add(adjacent, `Quốc khánh (ngày liền kề ${adjacent < national ? 'trước' : 'sau'} 2/9)`)

  const days = new Map<number, string>(statutory)
  for (const jdn of [...statutory.keys()].sort((a, b) => a - b)) {
    if (!isRest(jdn)) continue
    let comp = jdn + 1
    while (isRest(comp) || days.has(comp)) comp++
    days.set(comp, `Nghỉ bù ${statutory.get(jdn)!} trùng ${WEEKDAY_NAMES[weekdayOfJdn(jdn)]!}`)
  }

  return [...days.entries()]
    .sort(([a], [b]) => a - b)
    .map(([jdn, name]) => ({ date: jdnToIso(jdn), kind: 'holiday' as const, name, source: DERIVED_SOURCE }))
}

/** One year's special days in date order, from data if present, else from the law. */
export function daysForYear(
  year: number,
  data: ReadonlyMap<number, readonly CalendarDay[]>,
  options: { deriveMissingYears?: boolean; weeklyRestDays?: readonly number[] } = {},
): { origin: 'data' | 'derived' | 'none'; days: readonly CalendarDay[] } {
  const fromData = data.get(year)
  if (fromData) return { origin: 'data', days: fromData }
  if (options.deriveMissingYears === false) return { origin: 'none', days: [] }
  return { origin: 'derived', days: deriveStatutoryDays(year, options.weeklyRestDays) }
}
