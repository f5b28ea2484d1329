import { passwordProblem } from '../../platform/auth/password.js'
import type { FieldErrors } from '../../platform/http/errors.js'

// Province/city codes that open a 12-digit citizen ID (Circular 07/2016/TT-BCA, Annex); Cao Bằng is 004.
const BIRTH_PROVINCES = new Set(
  '001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033 034 035 036 037 038 040 042 044 045 046 048 049 051 052 054 056 058 060 062 064 066 067 068 070 072 074 075 077 079 080 082 083 084 086 087 089 091 092 093 094 095 096'.split(
    ' ',
  ),
)

/** Returns a Vietnamese reason when the 12-digit citizen ID (số định danh cá nhân / CCCD) is malformed. */
export function citizenIdProblem(value: string, today: Date): string | null {
  if (!/^\d{12}$/.test(value)) return 'Số định danh cá nhân phải gồm đúng 12 chữ số.'
  if (!BIRTH_PROVINCES.has(value.slice(0, 3))) {
    return 'Ba chữ số đầu của số định danh cá nhân không phải mã tỉnh, thành phố hợp lệ.'
  }
  // 4th digit: century and sex (0/1 → 1900s, 2/3 → 2000s, 4/5 → 2100s …); 5th–6th: year of birth.
  const century = 1900 + Math.floor(Number(value[3]) / 2) * 100
  const year = century + Number(value.slice(4, 6))
  if (year > today.getUTCFullYear()) return 'Năm sinh trong số định danh cá nhân nằm ở tương lai.'
  return null
}

export function normaliseText(value: unknown): string {
  return typeof value === 'string' ? value.normalize('NFC').trim().replace(/\s+/g, ' ') : ''
}

export function normalisePhone(value: string): string {
  const digits = value.replace(/[\s.-]/g, '')
  return digits.startsWith('+84') ? `0${digits.slice(3)}` : digits
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

export type ContactInput = { fullName: string; email: string | null; phone: string | null }

/** Shared by self-registration and the admin form: name and contact details. */
export function parseContact(raw: Record<string, unknown>, errors: FieldErrors): ContactInput {
  const fullName = normaliseText(raw.fullName)
  if (fullName.length < 2 || fullName.length > 150) errors.fullName = 'Nhập họ và tên (2–150 ký tự).'
  const emailRaw = normaliseText(raw.email).toLowerCase()
  if (emailRaw && (!EMAIL.test(emailRaw) || emailRaw.length > 200))
    errors.email = 'Địa chỉ thư điện tử không hợp lệ.'
  const phoneRaw = normaliseText(raw.phone)
  const phone = phoneRaw ? normalisePhone(phoneRaw) : ''
  if (phone && !/^0\d{9}$/.test(phone)) errors.phone = 'Số điện thoại phải gồm 10 chữ số, bắt đầu bằng 0.'
  return { fullName, email: emailRaw || null, phone: phone || null }
}

export function checkNewPassword(
  raw: Record<string, unknown>,
  errors: FieldErrors,
  field = 'password',
): string {
  const password = typeof raw[field] === 'string' ? raw[field] : ''
  const problem = passwordProblem(password)
  if (problem) errors[field] = problem
  else if (raw.passwordConfirm !== undefined && raw.passwordConfirm !== password) {
    errors.passwordConfirm = 'Mật khẩu nhập lại không khớp.'
  }
  return password
}

export function parseUsername(raw: unknown, errors: FieldErrors): string {
  const username = normaliseText(raw).toLowerCase()
  if (!/^[a-z0-9._@-]{3,100}$/.test(username)) {
    errors.username = 'Tên đăng nhập gồm 3–100 ký tự: chữ không dấu, số, dấu chấm, gạch ngang, gạch dưới.'
  }
  return username
}
