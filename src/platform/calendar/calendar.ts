/**
 * Working-day calendar of Cao Bằng's public administration, in Asia/Ho_Chi_Minh.
 *
 * Việt Nam keeps UTC+7 all year (no daylight saving), so every local computation here is plain
 * arithmetic with that offset; nothing reads the machine's time zone. Instants are `Date`s; civil
 * dates are ISO strings 'YYYY-MM-DD' meaning that day in UTC+7 (`DateInput` takes either — a
 * `Date` stands for the local day that contains it).
 *
 * A day is a working day when it is a make-up day (làm bù), or when it is neither a public
 * holiday / swapped day off nor a weekly rest day. Special days come per year from data, or,
 * for a year without data, from the Labour Code (see holidays.ts).
 *
 * Rules are data (`CalendarRules`, defaults in DEFAULT_CALENDAR_RULES): office sessions
 * (07:30–11:30, 13:30–17:00), the intake cut-off (15:00) and the weekly rest days (Sat, Sun).
 * A later rule version is applied with `calendar.withRules(...)`, which keeps the same day data.
 *
 * API (class WorkingCalendar):
 *  - isWorkingDay(date): boolean; dayStatus(date): why a day is or is not worked.
 *  - nextWorkingDay(date) / previousWorkingDay(date): the nearest working day strictly after / before.
 *  - receiptDate(at): the day an intake at `at` counts as received: that day if it is a working
 *    day and `at` is not after the cut-off (15:00:00 exactly is on time), else the next working day.
 *  - addWorkingDays(from, n): the due instant for "n working days". Counting starts on the working
 *    day after receiptDate(from) — so the next working day for an intake on a working day up to
 *    the cut-off, the one after that for an intake after the cut-off or on a non-working day —
 *    and the result is the end of office hours (17:00) of the n-th working day counted.
 *    n = 0 gives the end of office hours of the receipt day. n must be a whole number ≥ 0.
 *  - addWorkingHours(from, h) / addWorkingMinutes(from, m): the earliest instant t ≥ from such that
 *    the office time in [from, t] equals the amount (so it can end at 11:30, not 13:30). No cut-off
 *    applies; an amount of 0 returns `from`. Fractions are kept to the millisecond.
 *  - workingTimeBetween(a, b): office minutes between two instants (fractional when the instants
 *    are not whole minutes); negative when b is before a (−workingTimeBetween(b, a)), 0 when equal.
 *    Use it for "quá hạn … giờ làm việc" with a = due, b = now: a positive value is how late.
 *  - isOfficeHours(at): inside a session of a working day.
 *  - listYear(year): the year's special days with Vietnamese names, for an admin page.
 * Helpers: localInstant('2026-02-13', '16:00') → Date; localDateOf(date) → 'YYYY-MM-DD' in UTC+7.
 *
 * Constructors: `new WorkingCalendar({ days | data, rules, deriveMissingYears })` from explicit
 * data (tests), or `shippedCalendar(rules?)` from the `data/calendar` directory, read once.
 */
import { type CalendarDay, DEFAULT_WEEKLY_REST_DAYS, daysForYear, shippedCalendarData } from './holidays.js'
import { isoToJdn, jdnToIso } from './lunar.js'

export interface OfficeSession {
  /** Local 'HH:MM'. */
  start: string
  /** Local 'HH:MM', after start; '24:00' allowed. */
  end: string
}

export interface CalendarRules {
  /** Sessions of a working day in order, not overlapping. */
  officeHours: readonly OfficeSession[]
  /** Local 'HH:MM'; an intake strictly after it counts from the next working day. */
  cutoff: string
  /** 0 = Sunday … 6 = Saturday. */
  weeklyRestDays: readonly number[]
}

export const DEFAULT_CALENDAR_RULES: CalendarRules = Object.freeze({
  officeHours: Object.freeze([
    Object.freeze({ start: '07:30', end: '11:30' }),
    Object.freeze({ start: '13:30', end: '17:00' }),
  ]),
  cutoff: '15:00',
  weeklyRestDays: DEFAULT_WEEKLY_REST_DAYS,
})

export type DateInput = Date | string

export interface DayStatus {
  date: string
  working: boolean
  reason: 'workday' | 'weekly-rest' | 'holiday' | 'makeup'
  /** The data row behind a holiday or make-up day. */
  day?: CalendarDay
}

export interface YearListing {
  year: number
  /** 'data': from a file or explicit data; 'derived': from the law, awaiting the official notice. */
  origin: 'data' | 'derived' | 'none'
  days: readonly CalendarDay[]
}

export interface WorkingCalendarOptions {
  /** Special days; the years they fall in are taken as complete and not derived. */
  days?: readonly CalendarDay[]
  /** The same, already grouped by year (as `shippedCalendarData()` returns). */
  data?: ReadonlyMap<number, readonly CalendarDay[]>
  rules?: Partial<CalendarRules>
  /** Derive years without data from the Labour Code (default true); false leaves only weekends. */
  deriveMissingYears?: boolean
}

export const VN_UTC_OFFSET_MINUTES = 7 * 60
const OFFSET_MS = VN_UTC_OFFSET_MINUTES * 60_000
const DAY_MS = 86_400_000
const UNIX_EPOCH_JDN = 2_440_588
// A stretch this long without a working day can only come from broken data or rules.
const MAX_IDLE_DAYS = 400

const CLOCK = /^(\d{2}):(\d{2})(?::(\d{2}))?$/

/** Milliseconds after local midnight of 'HH:MM' or 'HH:MM:SS' (24:00 allowed). */
export function parseClock(text: string): number {
  const match = CLOCK.exec(text)
  const hours = Number(match?.[1])
  const minutes = Number(match?.[2])
  const seconds = Number(match?.[3] ?? 0)
  if (!match || hours > 24 || minutes > 59 || seconds > 59 || (hours === 24 && minutes + seconds > 0)) {
    throw new RangeError(`Giờ không hợp lệ (cần dạng HH:MM): "${text}"`)
  }
  return ((hours * 60 + minutes) * 60 + seconds) * 1000
}

function epochDayOfIso(iso: string): number {
  return isoToJdn(iso) - UNIX_EPOCH_JDN
}

function isoOfEpochDay(day: number): string {
  return jdnToIso(day + UNIX_EPOCH_JDN)
}

function assertInstant(at: Date, what: string): number {
  const ms = at instanceof Date ? at.getTime() : NaN
  if (!Number.isFinite(ms)) throw new RangeError(`${what}: thời điểm không hợp lệ`)
  return ms
}

function splitInstant(ms: number): { day: number; time: number } {
  const local = ms + OFFSET_MS
  const day = Math.floor(local / DAY_MS)
  return { day, time: local - day * DAY_MS }
}

function instantOf(day: number, time: number): Date {
  return new Date(day * DAY_MS + time - OFFSET_MS)
}

function toEpochDay(input: DateInput): number {
  if (typeof input === 'string') return epochDayOfIso(input)
  return splitInstant(assertInstant(input, 'Ngày')).day
}

/** The local (UTC+7) civil date containing an instant. */
export function localDateOf(at: Date): string {
  return isoOfEpochDay(splitInstant(assertInstant(at, 'Ngày')).day)
}

/** The instant of a local (UTC+7) date and wall-clock time, e.g. localInstant('2026-02-13', '16:00'). */
export function localInstant(date: string, time = '00:00'): Date {
  return instantOf(epochDayOfIso(date), parseClock(time))
}

function weekdayOfEpochDay(day: number): number {
  // 1970-01-01 was a Thursday.
  return (((day + 4) % 7) + 7) % 7
}

function yearOfEpochDay(day: number): number {
  return new Date(day * DAY_MS).getUTCFullYear()
}

interface CompiledRules {
  sessions: readonly { start: number; end: number }[]
  cutoff: number
  rest: readonly boolean[]
  dailyMs: number
  closing: number
}

function compileRules(rules: CalendarRules): CompiledRules {
  if (rules.officeHours.length === 0) throw new RangeError('Quy tắc lịch: cần ít nhất một buổi làm việc')
  const sessions = rules.officeHours.map((s) => ({ start: parseClock(s.start), end: parseClock(s.end) }))
  let previousEnd = 0
  for (const [i, s] of sessions.entries()) {
    if (s.end <= s.start) throw new RangeError(`Quy tắc lịch: buổi ${i + 1} kết thúc không sau giờ bắt đầu`)
    if (s.start < previousEnd) throw new RangeError(`Quy tắc lịch: buổi ${i + 1} chồng lên buổi trước`)
    previousEnd = s.end
  }
  const rest = [false, false, false, false, false, false, false]
  for (const d of rules.weeklyRestDays) {
    if (!Number.isInteger(d) || d < 0 || d > 6) throw new RangeError(`Quy tắc lịch: ngày nghỉ hằng tuần ${d}`)
    rest[d] = true
  }
  if (rest.every(Boolean)) throw new RangeError('Quy tắc lịch: không còn ngày làm việc nào trong tuần')
  return {
    sessions,
    cutoff: parseClock(rules.cutoff),
    rest,
    dailyMs: sessions.reduce((sum, s) => sum + s.end - s.start, 0),
    closing: sessions[sessions.length - 1]!.end,
  }
}

interface YearInfo {
  first: number
  special: ReadonlyMap<number, CalendarDay>
  working: Uint8Array
  /** prefix[i] = working days among the first i days of the year. */
  prefix: Int32Array
  listing: YearListing
}

function groupByYear(days: readonly CalendarDay[]): Map<number, CalendarDay[]> {
  const years = new Map<number, CalendarDay[]>()
  for (const day of days) {
    try {
      epochDayOfIso(day.date)
    } catch (error) {
      throw new RangeError(`Dữ liệu lịch: ngày ${where(day)} không hợp lệ`, { cause: error })
    }
    const year = Number(day.date.slice(0, 4))
    const list = years.get(year) ?? []
    list.push(day)
    years.set(year, list)
  }
  for (const list of years.values()) list.sort((a, b) => a.date.localeCompare(b.date))
  return years
}

function where(day: CalendarDay): string {
  return day.origin ? `${day.date} (${day.origin})` : day.date
}

export class WorkingCalendar {
  readonly rules: CalendarRules
  private readonly compiled: CompiledRules
  private readonly data: ReadonlyMap<number, readonly CalendarDay[]>
  private readonly deriveMissingYears: boolean
  private readonly years = new Map<number, YearInfo>()

  constructor(options: WorkingCalendarOptions = {}) {
    this.rules = Object.freeze({ ...DEFAULT_CALENDAR_RULES, ...options.rules })
    this.compiled = compileRules(this.rules)
    const data = new Map<number, readonly CalendarDay[]>(options.data ?? [])
    for (const [year, list] of groupByYear(options.days ?? [])) {
      if (data.has(year)) throw new Error(`Năm ${year} có dữ liệu ở cả "days" và "data"`)
      data.set(year, list)
    }
    this.data = data
    this.deriveMissingYears = options.deriveMissingYears ?? true
  }

  /** Same day data, other rules (a newer rule version). */
  withRules(rules: Partial<CalendarRules>): WorkingCalendar {
    return new WorkingCalendar({
      data: this.data,
      rules: { ...this.rules, ...rules },
      deriveMissingYears: this.deriveMissingYears,
    })
  }

  isWorkingDay(date: DateInput): boolean {
    return this.isWorking(toEpochDay(date))
  }

  dayStatus(date: DateInput): DayStatus {
    const day = toEpochDay(date)
    const iso = isoOfEpochDay(day)
    const special = this.yearInfo(yearOfEpochDay(day)).special.get(day)
    if (special) return { date: iso, working: special.kind === 'makeup', reason: special.kind, day: special }
    if (this.compiled.rest[weekdayOfEpochDay(day)])
      return { date: iso, working: false, reason: 'weekly-rest' }
    return { date: iso, working: true, reason: 'workday' }
  }

  nextWorkingDay(date: DateInput): string {
    return isoOfEpochDay(this.nextWorking(toEpochDay(date)))
  }

  previousWorkingDay(date: DateInput): string {
    let day = toEpochDay(date)
    for (let i = 0; i < MAX_IDLE_DAYS; i++) {
      day--
      if (this.isWorking(day)) return isoOfEpochDay(day)
    }
    throw new Error(`Không tìm thấy ngày làm việc trong ${MAX_IDLE_DAYS} ngày trước ${isoOfEpochDay(day)}`)
  }

  receiptDate(at: Date): string {
    return isoOfEpochDay(this.receiptDay(assertInstant(at, 'receiptDate')))
  }

  addWorkingDays(from: Date, days: number): Date {
    if (!Number.isInteger(days) || days < 0) {
      throw new RangeError(`Số ngày làm việc phải là số nguyên không âm, nhận được ${days}`)
    }
    let day = this.receiptDay(assertInstant(from, 'addWorkingDays'))
    for (let i = 0; i < days; i++) day = this.nextWorking(day)
    return instantOf(day, this.compiled.closing)
  }

  addWorkingHours(from: Date, hours: number): Date {
    return this.addWorkingMs(from, hours * 3_600_000, 'addWorkingHours')
  }

  addWorkingMinutes(from: Date, minutes: number): Date {
    return this.addWorkingMs(from, minutes * 60_000, 'addWorkingMinutes')
  }

  workingTimeBetween(a: Date, b: Date): number {
    const start = assertInstant(a, 'workingTimeBetween')
    const end = assertInstant(b, 'workingTimeBetween')
    if (end < start) return -this.workingMs(end, start) / 60_000
    return this.workingMs(start, end) / 60_000
  }

  isOfficeHours(at: Date): boolean {
    const { day, time } = splitInstant(assertInstant(at, 'isOfficeHours'))
    return this.isWorking(day) && this.compiled.sessions.some((s) => time >= s.start && time < s.end)
  }

  listYear(year: number): YearListing {
    if (!Number.isInteger(year)) throw new RangeError(`Năm không hợp lệ: ${year}`)
    return this.yearInfo(year).listing
  }

  /** Years that have explicit data (the rest are derived or weekends only). */
  dataYears(): number[] {
    return [...this.data.keys()].sort((a, b) => a - b)
  }

  // -------------------------------------------------------------------------------------------

  private yearInfo(year: number): YearInfo {
    const cached = this.years.get(year)
    if (cached) return cached
    const { origin, days } = daysForYear(year, this.data, {
      deriveMissingYears: this.deriveMissingYears,
      weeklyRestDays: this.rules.weeklyRestDays,
    })
    const first = epochDayOfIso(`${String(year).padStart(4, '0')}-01-01`)
    const length = epochDayOfIso(`${String(year + 1).padStart(4, '0')}-01-01`) - first
    const special = new Map<number, CalendarDay>()
    for (const entry of days) {
      const day = epochDayOfIso(entry.date)
      if (day < first || day >= first + length) {
        throw new Error(`Dữ liệu lịch năm ${year}: ngày ${where(entry)} thuộc năm khác`)
      }
      if (special.has(day)) throw new Error(`Dữ liệu lịch năm ${year}: ngày ${where(entry)} bị lặp`)
      special.set(day, entry)
    }
    const working = new Uint8Array(length)
    const prefix = new Int32Array(length + 1)
    for (let i = 0; i < length; i++) {
      const entry = special.get(first + i)
      const isWorking = entry ? entry.kind === 'makeup' : !this.compiled.rest[weekdayOfEpochDay(first + i)]
      working[i] = isWorking ? 1 : 0
      prefix[i + 1] = prefix[i]! + working[i]!
    }
    const info: YearInfo = {
      first,
      special,
      working,
      prefix,
      listing: Object.freeze({ year, origin, days: Object.freeze([...days]) }),
    }
    this.years.set(year, info)
    return info
  }

  private isWorking(day: number): boolean {
    const info = this.yearInfo(yearOfEpochDay(day))
    return info.working[day - info.first] === 1
  }

  private nextWorking(day: number): number {
    for (let i = 0; i < MAX_IDLE_DAYS; i++) {
      day++
      if (this.isWorking(day)) return day
    }
    throw new Error(`Không tìm thấy ngày làm việc trong ${MAX_IDLE_DAYS} ngày sau ${isoOfEpochDay(day)}`)
  }

  private receiptDay(ms: number): number {
    const { day, time } = splitInstant(ms)
    return this.isWorking(day) && time <= this.compiled.cutoff ? day : this.nextWorking(day)
  }

  /** Working days in [from, to). */
  private countWorkingDays(from: number, to: number): number {
    let count = 0
    let day = from
    while (day < to) {
      const info = this.yearInfo(yearOfEpochDay(day))
      const end = Math.min(to, info.first + info.working.length)
      count += info.prefix[end - info.first]! - info.prefix[day - info.first]!
      day = end
    }
    return count
  }

  /** Office time of one day within local times [t0, t1). */
  private officeMsWithin(day: number, t0: number, t1: number): number {
    if (!this.isWorking(day)) return 0
    let sum = 0
    for (const s of this.compiled.sessions) sum += Math.max(0, Math.min(t1, s.end) - Math.max(t0, s.start))
    return sum
  }

  private workingMs(startMs: number, endMs: number): number {
    const a = splitInstant(startMs)
    const b = splitInstant(endMs)
    if (a.day === b.day) return this.officeMsWithin(a.day, a.time, b.time)
    return (
      this.officeMsWithin(a.day, a.time, DAY_MS) +
      this.countWorkingDays(a.day + 1, b.day) * this.compiled.dailyMs +
      this.officeMsWithin(b.day, 0, b.time)
    )
  }

  private addWorkingMs(from: Date, amount: number, what: string): Date {
    const start = assertInstant(from, what)
    if (!Number.isFinite(amount) || amount < 0) {
      throw new RangeError(`${what}: lượng thời gian phải là số không âm, nhận được ${amount}`)
    }
    let remaining = Math.round(amount)
    if (remaining === 0) return new Date(start)
    let { day, time } = splitInstant(start)
    let idle = 0
    for (;;) {
      if (this.isWorking(day)) {
        idle = 0
        for (const s of this.compiled.sessions) {
          if (time >= s.end) continue
          const begin = Math.max(time, s.start)
          const available = s.end - begin
          if (remaining <= available) return instantOf(day, begin + remaining)
          remaining -= available
          time = s.end
        }
      } else if (++idle > MAX_IDLE_DAYS) {
        throw new Error(`${what}: không tìm thấy ngày làm việc trong ${MAX_IDLE_DAYS} ngày`)
      }
      // Whole working days in between cost one lookup each instead of a walk through the sessions.
      day++
      time = 0
      while (remaining > this.compiled.dailyMs && this.isWorking(day)) {
        remaining -= this.compiled.dailyMs
        day++
      }
    }
  }
}

let shipped: WorkingCalendar | undefined
const shippedByRules = new Map<string, WorkingCalendar>()

/**
 * A calendar over the shipped `data/calendar` files (read once per process), years without a file
 * derived from the law. With `rules`, a calendar for those rules over the same data; one instance
 * per distinct rules object content, so its per-year caches are shared by every caller.
 */
export function shippedCalendar(rules?: Partial<CalendarRules>): WorkingCalendar {
  shipped ??= new WorkingCalendar({ data: shippedCalendarData() })
  if (!rules) return shipped
  const key = JSON.stringify(rules)
  let calendar = shippedByRules.get(key)
  if (!calendar) {
    calendar = shipped.withRules(rules)
    shippedByRules.set(key, calendar)
  }
  return calendar
}
