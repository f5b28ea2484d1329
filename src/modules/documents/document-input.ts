import type { FieldErrors } from '../../platform/http/errors.js'
import {
  CONFIDENTIALITIES,
  URGENCIES,
  type Confidentiality,
  type Source,
  type Urgency,
} from './document-rules.js'

export const AGENCY_CODE = /^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$/
const DATE = /^\d{4}-\d{2}-\d{2}$/

/** NFC, trimmed, inner whitespace collapsed; anything that is not a string is ''. */
export const text = (value: unknown) =>
  typeof value === 'string' ? value.normalize('NFC').trim().replace(/\s+/g, ' ') : ''

/** Lower case without diacritics ("Đ" → "d"): how people type when searching. */
export function fold(value: string): string {
  return value
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
}

/** Folded words only: punctuation splits, as in the search index. */
export function plainWords(value: string): string[] {
  return fold(value)
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0)
}

/** "All these words, the last one as a prefix", safe to pass as a parameter; null when there is no word. */
export function prefixTsQuery(query: string): string | null {
  const words = plainWords(query).slice(0, 12)
  if (words.length === 0) return null
  return words.map((w, i) => (i === words.length - 1 ? `${w}:*` : w)).join(' & ')
}

export function isIsoDate(value: string): boolean {
  if (!DATE.test(value)) return false
  const date = new Date(`${value}T00:00:00Z`)
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value
}

/**
 * The same document in the same unit: the issuer (its agency code, or its name folded), the number without
 * leading zeros and the notation folded, and the date of issue.
 */
export function dedupeKey(input: {
  issuerCode: string | null
  issuerName: string
  codeNumber: string
  codeNotation: string
  issuedOn: string
}): string {
  const issuer = input.issuerCode ?? plainWords(input.issuerName).join(' ')
  const number = fold(input.codeNumber).replace(/^0+(?=\d)/, '')
  return `${issuer}|${number}/${plainWords(input.codeNotation).join('')}|${input.issuedOn}`
}

export type Registration = {
  unitId: string
  registerId: string | null
  source: Extract<Source, 'paper' | 'electronic'>
  codeNumber: string
  codeNotation: string
  issuedOn: string
  issuePlace: string | null
  issuerName: string
  issuerCode: string | null
  typeCode: string
  summary: string
  content: string | null
  signerName: string | null
  signerPosition: string | null
  urgency: Urgency
  confidentiality: Confidentiality
  dueOn: string | null
  confirmDifferent: boolean
}

/** The fields of a registration form or API call, in the order the form shows them. */
export const REGISTRATION_FIELDS = [
  'unitId',
  'registerId',
  'source',
  'codeNumber',
  'codeNotation',
  'issuedOn',
  'issuerName',
  'issuerCode',
  'typeCode',
  'summary',
  'signerName',
  'signerPosition',
  'urgency',
  'confidentiality',
  'dueOn',
  'content',
  'files',
] as const

const truthy = (value: unknown) => value === true || value === 'on' || value === 'true' || value === '1'

/** Checks what a clerk typed; `today` (YYYY-MM-DD, Việt Nam) bounds the date of issue. */
export function parseRegistration(
  raw: Record<string, unknown>,
  today: string,
): { value: Registration; errors: FieldErrors } {
  const errors: FieldErrors = {}
  const optional = (name: string, max: number, label: string) => {
    const value = text(raw[name])
    if (value.length > max) errors[name] = `${label} tối đa ${max} ký tự.`
    return value || null
  }
  const codeNumber = text(raw.codeNumber)
  if (!codeNumber) errors.codeNumber = 'Nhập số của văn bản.'
  else if (!/^[\p{L}\p{N}.-]{1,20}$/u.test(codeNumber))
    errors.codeNumber = 'Số văn bản gồm tối đa 20 chữ, số, dấu chấm hoặc gạch ngang (ví dụ 123).'
  const codeNotation = text(raw.codeNotation)
  if (!codeNotation) errors.codeNotation = 'Nhập ký hiệu của văn bản (ví dụ UBND-VP).'
  else if (codeNotation.length > 100) errors.codeNotation = 'Ký hiệu tối đa 100 ký tự.'
  const issuedOn = text(raw.issuedOn)
  if (!issuedOn) errors.issuedOn = 'Nhập ngày ban hành.'
  else if (!isIsoDate(issuedOn)) errors.issuedOn = 'Ngày ban hành không hợp lệ (năm-tháng-ngày).'
  else if (issuedOn > today) errors.issuedOn = 'Ngày ban hành không thể sau hôm nay.'
  const issuerName = text(raw.issuerName)
  if (issuerName.length < 2) errors.issuerName = 'Nhập tên cơ quan ban hành.'
  else if (issuerName.length > 300) errors.issuerName = 'Tên cơ quan ban hành tối đa 300 ký tự.'
  const issuerCode = text(raw.issuerCode).toUpperCase() || null
  if (issuerCode && !AGENCY_CODE.test(issuerCode))
    errors.issuerCode = 'Mã định danh cơ quan theo QCVN 102:2016 có dạng 000.00.00.H14.'
  const typeCode = text(raw.typeCode)
  if (!typeCode) errors.typeCode = 'Chọn loại văn bản.'
  const summary = text(raw.summary)
  if (summary.length < 2) errors.summary = 'Nhập trích yếu nội dung văn bản.'
  else if (summary.length > 2000) errors.summary = 'Trích yếu tối đa 2000 ký tự.'
  const urgency = (text(raw.urgency) || 'normal') as Urgency
  if (!URGENCIES.includes(urgency)) errors.urgency = 'Chọn độ khẩn.'
  const confidentiality = (text(raw.confidentiality) || 'normal') as Confidentiality
  if (!CONFIDENTIALITIES.includes(confidentiality)) errors.confidentiality = 'Chọn độ mật.'
  const dueOn = text(raw.dueOn) || null
  if (dueOn && !isIsoDate(dueOn)) errors.dueOn = 'Hạn xử lý không hợp lệ (năm-tháng-ngày).'
  else if (dueOn && isIsoDate(issuedOn) && dueOn < issuedOn)
    errors.dueOn = 'Hạn xử lý không thể trước ngày ban hành.'
  const source = text(raw.source) || 'paper'
  if (source !== 'paper' && source !== 'electronic')
    errors.source = 'Chọn hình thức văn bản: giấy hoặc điện tử.'
  // Content keeps its line breaks: only the ends are trimmed.
  const content = typeof raw.content === 'string' ? raw.content.normalize('NFC').trim() : ''
  if (content.length > 20_000) errors.content = 'Nội dung tối đa 20 000 ký tự.'
  return {
    value: {
      unitId: text(raw.unitId),
      registerId: text(raw.registerId) || null,
      source: source === 'electronic' ? 'electronic' : 'paper',
      codeNumber,
      codeNotation,
      issuedOn,
      issuePlace: optional('issuePlace', 100, 'Địa danh'),
      issuerName,
      issuerCode,
      typeCode,
      summary,
      content: content || null,
      signerName: optional('signerName', 150, 'Họ tên người ký'),
      signerPosition: optional('signerPosition', 200, 'Chức vụ người ký'),
      urgency,
      confidentiality,
      dueOn,
      confirmDifferent: truthy(raw.confirmDifferent),
    },
    errors,
  }
}
