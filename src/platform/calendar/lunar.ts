/**
 * Vietnamese lunisolar calendar (âm lịch), computed astronomically for UTC+7.
 *
 * The rules, as the Vietnamese calendar applies them:
 *  1. A month begins on the local (UTC+7) day that contains the true new moon.
 *  2. The month that contains the winter solstice (sun at 270°) is always month 11.
 *  3. When 13 new moons begin between two consecutive month-11s, the first month after
 *     month 11 that contains no major solar term (trung khí: sun longitude a multiple of 30°)
 *     is the leap month; it repeats the number of the month before it.
 *
 * Because rule 1 uses UTC+7, a few years differ from the Chinese calendar (UTC+8): Tết 1985
 * fell on 21 January in Việt Nam but 20 February in China, Tết 2007 on 17 vs 18 February.
 *
 * New moons follow Meeus, Astronomical Algorithms (2nd ed.), ch. 49 (error of seconds);
 * the sun's longitude follows ch. 25's lower-accuracy theory (about 0.01°, i.e. a quarter
 * of an hour of solar motion), which only matters for a term or solstice within minutes of
 * local midnight. Supported years: 1900–2199.
 *
 * Solar dates cross the API as ISO strings 'YYYY-MM-DD' (a civil date, no time zone).
 */

export interface LunarDate {
  /** Lunar year; months 11 and 12 that straddle 1 January belong to the year that is ending. */
  year: number
  month: number
  day: number
  leap: boolean
}

export const LUNAR_MIN_YEAR = 1900
export const LUNAR_MAX_YEAR = 2199

const TIME_ZONE_DAYS = 7 / 24
const SYNODIC_MONTH = 29.530588861
const TROPICAL_YEAR = 365.2422
const DAY_MS = 86_400_000
// Julian Day Number of 1970-01-01, to move between JDN and Unix epoch days.
const UNIX_EPOCH_JDN = 2_440_588
const RAD = Math.PI / 180

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/

/** Julian Day Number (integer, the civil day) of an ISO date; throws on an impossible date. */
export function isoToJdn(iso: string): number {
  const match = ISO_DATE.exec(iso)
  if (!match) throw new RangeError(`Ngày không hợp lệ (cần dạng YYYY-MM-DD): "${iso}"`)
  const year = Number(match[1])
  const month = Number(match[2])
  const day = Number(match[3])
  const ms = Date.UTC(year, month - 1, day)
  const back = new Date(ms)
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day) {
    throw new RangeError(`Ngày không tồn tại: "${iso}"`)
  }
  return ms / DAY_MS + UNIX_EPOCH_JDN
}

export function jdnToIso(jdn: number): string {
  return new Date((jdn - UNIX_EPOCH_JDN) * DAY_MS).toISOString().slice(0, 10)
}

function sinDeg(degrees: number): number {
  return Math.sin(degrees * RAD)
}

function normalizeDegrees(degrees: number): number {
  const r = degrees % 360
  return r < 0 ? r + 360 : r
}

/**
 * TT − UT in seconds, Espenak & Meeus polynomial fits. A new moon is placed on a civil day,
 * so the earth's clock drift (about a minute today) is enough to matter near midnight.
 */
export function deltaTSeconds(decimalYear: number): number {
  const y = decimalYear
  if (y < 1860 || y >= 2150) {
    const u = (y - 1820) / 100
    return -20 + 32 * u * u
  }
  if (y < 1900) {
    const t = y - 1860
    return (
      7.62 + 0.5737 * t - 0.251754 * t ** 2 + 0.01680668 * t ** 3 - 0.0004473624 * t ** 4 + t ** 5 / 233174
    )
  }
  if (y < 1920) {
    const t = y - 1900
    return -2.79 + 1.494119 * t - 0.0598939 * t ** 2 + 0.0061966 * t ** 3 - 0.000197 * t ** 4
  }
  if (y < 1941) {
    const t = y - 1920
    return 21.2 + 0.84493 * t - 0.0761 * t ** 2 + 0.0020936 * t ** 3
  }
  if (y < 1961) {
    const t = y - 1950
    return 29.07 + 0.407 * t - t ** 2 / 233 + t ** 3 / 2547
  }
  if (y < 1986) {
    const t = y - 1975
    return 45.45 + 1.067 * t - t ** 2 / 260 - t ** 3 / 718
  }
  if (y < 2005) {
    const t = y - 2000
    return (
      63.86 +
      0.3345 * t -
      0.060374 * t ** 2 +
      0.0017275 * t ** 3 +
      0.000651814 * t ** 4 +
      0.00002373599 * t ** 5
    )
  }
  if (y < 2050) {
    const t = y - 2000
    return 62.92 + 0.32217 * t + 0.005589 * t ** 2
  }
  const u = (y - 1820) / 100
  return -20 + 32 * u * u - 0.5628 * (2150 - y)
}

function jdToDecimalYear(jd: number): number {
  return 2000 + (jd - 2451545) / 365.25
}

function deltaTDays(jd: number): number {
  return deltaTSeconds(jdToDecimalYear(jd)) / 86400
}

/**
 * Julian Ephemeris Day (TT) of the true new moon number k, where k = 0 is the new moon
 * of 6 January 2000 and k counts lunations (negative before it).
 */
export function newMoonJde(k: number): number {
  const t = k / 1236.85
  const t2 = t * t
  const t3 = t2 * t
  const t4 = t3 * t
  const mean = 2451550.09766 + SYNODIC_MONTH * k + 0.00015437 * t2 - 0.00000015 * t3 + 0.00000000073 * t4
  const e = 1 - 0.002516 * t - 0.0000074 * t2
  const m = 2.5534 + 29.1053567 * k - 0.0000014 * t2 - 0.00000011 * t3
  const mp = 201.5643 + 385.81693528 * k + 0.0107582 * t2 + 0.00001238 * t3 - 0.000000058 * t4
  const f = 160.7108 + 390.67050284 * k - 0.0016118 * t2 - 0.00000227 * t3 + 0.000000011 * t4
  const omega = 124.7746 - 1.56375588 * k + 0.0020672 * t2 + 0.00000215 * t3

  const periodic =
    -0.4072 * sinDeg(mp) +
    0.17241 * e * sinDeg(m) +
    0.01608 * sinDeg(2 * mp) +
    0.01039 * sinDeg(2 * f) +
    0.00739 * e * sinDeg(mp - m) -
    0.00514 * e * sinDeg(mp + m) +
    0.00208 * e * e * sinDeg(2 * m) -
    0.00111 * sinDeg(mp - 2 * f) -
    0.00057 * sinDeg(mp + 2 * f) +
    0.00056 * e * sinDeg(2 * mp + m) -
    0.00042 * sinDeg(3 * mp) +
    0.00042 * e * sinDeg(m + 2 * f) +
    0.00038 * e * sinDeg(m - 2 * f) -
    0.00024 * e * sinDeg(2 * mp - m) -
    0.00017 * sinDeg(omega) -
    0.00007 * sinDeg(mp + 2 * m) +
    0.00004 * sinDeg(2 * mp - 2 * f) +
    0.00004 * sinDeg(3 * m) +
    0.00003 * sinDeg(mp + m - 2 * f) +
    0.00003 * sinDeg(2 * mp + 2 * f) -
    0.00003 * sinDeg(mp + m + 2 * f) +
    0.00003 * sinDeg(mp - m + 2 * f) -
    0.00002 * sinDeg(mp - m - 2 * f) -
    0.00002 * sinDeg(3 * mp + m) +
    0.00002 * sinDeg(4 * mp)

  // Perturbations by the planets, the "additional corrections" of the same chapter.
  const planetary =
    0.000325 * sinDeg(299.77 + 0.107408 * k - 0.009173 * t2) +
    0.000165 * sinDeg(251.88 + 0.016321 * k) +
    0.000164 * sinDeg(251.83 + 26.651886 * k) +
    0.000126 * sinDeg(349.42 + 36.412478 * k) +
    0.00011 * sinDeg(84.66 + 18.206239 * k) +
    0.000062 * sinDeg(141.74 + 53.303771 * k) +
    0.00006 * sinDeg(207.14 + 2.453732 * k) +
    0.000056 * sinDeg(154.84 + 7.30686 * k) +
    0.000047 * sinDeg(34.52 + 27.261239 * k) +
    0.000042 * sinDeg(207.19 + 0.121824 * k) +
    0.00004 * sinDeg(291.34 + 1.844379 * k) +
    0.000037 * sinDeg(161.72 + 24.198154 * k) +
    0.000035 * sinDeg(239.56 + 25.513099 * k) +
    0.000023 * sinDeg(331.55 + 3.592518 * k)

  return mean + periodic + planetary
}

/** Universal-time Julian Day of new moon k. */
export function newMoonJd(k: number): number {
  const jde = newMoonJde(k)
  return jde - deltaTDays(jde)
}

/** Apparent geocentric longitude of the sun in degrees [0, 360), at a Universal-time Julian Day. */
export function sunLongitude(jdUt: number): number {
  const t = (jdUt + deltaTDays(jdUt) - 2451545) / 36525
  const l0 = 280.46646 + 36000.76983 * t + 0.0003032 * t * t
  const m = 357.52911 + 35999.05029 * t - 0.0001537 * t * t
  const c =
    (1.914602 - 0.004817 * t - 0.000014 * t * t) * sinDeg(m) +
    (0.019993 - 0.000101 * t) * sinDeg(2 * m) +
    0.000289 * sinDeg(3 * m)
  const omega = 125.04 - 1934.136 * t
  return normalizeDegrees(l0 + c - 0.00569 - 0.00478 * sinDeg(omega))
}

/** The local civil day (JDN in UTC+7) that contains a Universal-time instant. */
function localDayOf(jdUt: number): number {
  return Math.floor(jdUt + 0.5 + TIME_ZONE_DAYS)
}

function newMoonDay(k: number): number {
  return localDayOf(newMoonJd(k))
}

/** Sun's 30° sector at the local midnight that starts day `jdn`. */
function termSectorAtStartOf(jdn: number): number {
  return Math.floor(sunLongitude(jdn - 0.5 - TIME_ZONE_DAYS) / 30)
}

/** Local day of the December solstice of a Gregorian year. */
function winterSolsticeDay(year: number): number {
  let jd = isoToJdn(`${year}-12-21`)
  for (let i = 0; i < 6; i++) {
    let delta = 270 - sunLongitude(jd)
    delta = ((((delta + 180) % 360) + 360) % 360) - 180
    jd += (delta * TROPICAL_YEAR) / 360
  }
  return localDayOf(jd)
}

/** Lunation number whose new-moon day is the last one on or before local day `jdn`. */
function lunationStartingOnOrBefore(jdn: number): number {
  let k = Math.floor((jdn - 2451550.09766) / SYNODIC_MONTH)
  while (newMoonDay(k + 1) <= jdn) k++
  while (newMoonDay(k) > jdn) k--
  return k
}

interface LunarMonth {
  start: number
  /** First day of the next month, so length = end − start. */
  end: number
  year: number
  month: number
  leap: boolean
}

/**
 * The months from the month 11 that contains the solstice of December (y − 1) up to, not
 * including, the month 11 of December y: month 11 and 12 of lunar year y − 1, then year y.
 */
const spans = new Map<number, readonly LunarMonth[]>()

function monthsUpToSolsticeOf(year: number): readonly LunarMonth[] {
  const cached = spans.get(year)
  if (cached) return cached
  const firstK = lunationStartingOnOrBefore(winterSolsticeDay(year - 1))
  const lastK = lunationStartingOnOrBefore(winterSolsticeDay(year))
  const count = lastK - firstK
  const starts: number[] = []
  for (let i = 0; i <= count; i++) starts.push(newMoonDay(firstK + i))

  let leapIndex = -1
  if (count === 13) {
    for (let i = 1; i < 13; i++) {
      if (termSectorAtStartOf(starts[i]!) === termSectorAtStartOf(starts[i + 1]!)) {
        leapIndex = i
        break
      }
    }
  }

  const months: LunarMonth[] = []
  let number = 11
  let lunarYear = year - 1
  for (let i = 0; i < count; i++) {
    const leap = i === leapIndex
    if (i > 0 && !leap) {
      number = (number % 12) + 1
      if (number === 1) lunarYear = year
    }
    months.push({ start: starts[i]!, end: starts[i + 1]!, year: lunarYear, month: number, leap })
  }
  spans.set(year, months)
  return months
}

function assertSupportedYear(year: number): void {
  if (!Number.isInteger(year) || year < LUNAR_MIN_YEAR || year > LUNAR_MAX_YEAR) {
    throw new RangeError(`Âm lịch chỉ hỗ trợ các năm ${LUNAR_MIN_YEAR}–${LUNAR_MAX_YEAR}, nhận được ${year}`)
  }
}

/** Lunar date of a solar (Gregorian) date, Vietnamese rules (UTC+7). */
export function solarToLunar(iso: string): LunarDate {
  const jdn = isoToJdn(iso)
  const year = Number(iso.slice(0, 4))
  assertSupportedYear(year)
  // The span ending at December's month 11 holds everything before that month begins.
  let months = monthsUpToSolsticeOf(year)
  const last = months[months.length - 1]!
  if (jdn >= last.end) months = monthsUpToSolsticeOf(year + 1)
  for (const month of months) {
    if (jdn >= month.start && jdn < month.end) {
      return { year: month.year, month: month.month, day: jdn - month.start + 1, leap: month.leap }
    }
  }
  throw new Error(`Không xác định được ngày âm lịch của ${iso}`)
}

function findMonth(year: number, month: number, leap: boolean): LunarMonth | undefined {
  assertSupportedYear(year)
  if (!Number.isInteger(month) || month < 1 || month > 12) {
    throw new RangeError(`Tháng âm lịch không hợp lệ: ${month}`)
  }
  // Months 11 and 12 of lunar year Y close the span that ends at the solstice of Y + 1.
  const months = monthsUpToSolsticeOf(month >= 11 ? year + 1 : year)
  return months.find((m) => m.year === year && m.month === month && m.leap === leap)
}

/** Solar date of a lunar date; throws if the month (e.g. a leap month that year lacks) or day does not exist. */
export function lunarToSolar(date: { year: number; month: number; day: number; leap?: boolean }): string {
  const leap = date.leap ?? false
  const month = findMonth(date.year, date.month, leap)
  if (!month) {
    throw new RangeError(`Năm âm lịch ${date.year} không có tháng ${date.month}${leap ? ' nhuận' : ''}`)
  }
  const length = month.end - month.start
  if (!Number.isInteger(date.day) || date.day < 1 || date.day > length) {
    throw new RangeError(
      `Tháng ${date.month}${leap ? ' nhuận' : ''} năm âm lịch ${date.year} có ${length} ngày, không có ngày ${date.day}`,
    )
  }
  return jdnToIso(month.start + date.day - 1)
}

/** 29 or 30. */
export function lunarMonthLength(year: number, month: number, leap = false): number {
  const found = findMonth(year, month, leap)
  if (!found) throw new RangeError(`Năm âm lịch ${year} không có tháng ${month}${leap ? ' nhuận' : ''}`)
  return found.end - found.start
}

/** The number of the leap month of a lunar year, or null when the year has twelve months. */
export function leapMonthOf(year: number): number | null {
  assertSupportedYear(year)
  for (const span of [monthsUpToSolsticeOf(year), monthsUpToSolsticeOf(year + 1)]) {
    const leap = span.find((m) => m.leap && m.year === year)
    if (leap) return leap.month
  }
  return null
}

/** Solar date of Tết Nguyên đán (1 tháng Giêng) of the lunar year that begins in solar year `year`. */
export function tetDate(year: number): string {
  return lunarToSolar({ year, month: 1, day: 1 })
}
