export {
  type CalendarRules,
  type DateInput,
  type DayStatus,
  DEFAULT_CALENDAR_RULES,
  localDateOf,
  localInstant,
  type OfficeSession,
  parseClock,
  shippedCalendar,
  VN_UTC_OFFSET_MINUTES,
  WorkingCalendar,
  type WorkingCalendarOptions,
  type YearListing,
} from './calendar.js'
export {
  type CalendarDay,
  CalendarDataError,
  DERIVED_SOURCE,
  type DayKind,
  deriveStatutoryDays,
  loadCalendarDir,
  parseCalendarCsv,
  SHIPPED_DATA_DIR,
  shippedCalendarData,
} from './holidays.js'
export {
  type LunarDate,
  leapMonthOf,
  lunarMonthLength,
  lunarToSolar,
  solarToLunar,
  tetDate,
} from './lunar.js'
