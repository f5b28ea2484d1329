import type { Lang } from '../i18n/index.js'

const TZ = 'Asia/Ho_Chi_Minh'
const dateTime = {
  vi: new Intl.DateTimeFormat('vi-VN', { timeZone: TZ, dateStyle: 'short', timeStyle: 'short' }),
  en: new Intl.DateTimeFormat('en-GB', { timeZone: TZ, dateStyle: 'medium', timeStyle: 'short' }),
}
const dateOnly = {
  vi: new Intl.DateTimeFormat('vi-VN', {
    timeZone: 'UTC',
    day: '2-digit',
    month: '2-digit',
    year: 'numeric',
  }),
  en: new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', dateStyle: 'medium' }),
}

/** An instant as people in Cao Bằng read it (Asia/Ho_Chi_Minh). */
export function formatDateTime(value: Date | null | undefined, lang: Lang): string {
  return value ? dateTime[lang].format(value) : ''
}

/** A calendar day stored as 'YYYY-MM-DD'. */
export function formatDay(value: string | null | undefined, lang: Lang): string {
  return value ? dateOnly[lang].format(new Date(`${value}T00:00:00Z`)) : ''
}
