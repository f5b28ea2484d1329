import { ValidationError, type FieldErrors } from '../../platform/http/errors.js'
import {
  HTTP_METHODS,
  isIdentifierPart,
  META_SERVICES,
  memberCodeProblem,
  pathPatternProblem,
} from './lgsp.identifiers.js'
import { parseRegisteredCertificate, type RegisteredCertificate } from './lgsp.certificates.js'
import { MEMBER_CLASSES, type MemberClass } from './lgsp.tables.js'

/**
 * Registry input from a form (strings) or the API (JSON), checked field by field with Vietnamese messages;
 * the parse functions throw one ValidationError naming every bad field.
 */
type Raw = Record<string, unknown>

export const DEFAULT_INSTANCE = 'VN'
export const DEFAULT_RATE_LIMIT = 600
export const DEFAULT_TIMEOUT_MS = 30_000
export const DEFAULT_MAX_BODY_BYTES = 10 * 1_048_576
export const MAX_OPENAPI_BYTES = 1_048_576

const text = (value: unknown): string =>
  typeof value === 'string' ? value.normalize('NFC').trim() : typeof value === 'number' ? String(value) : ''

const flag = (value: unknown): boolean =>
  value === true || value === 'on' || value === 'true' || value === '1'

function integer(
  raw: unknown,
  field: string,
  fallback: number,
  min: number,
  max: number,
  errors: FieldErrors,
  message: string,
): number {
  const value = text(raw)
  if (value === '') return fallback
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    errors[field] = message
    return fallback
  }
  return Number(value)
}

function name(raw: unknown, field: string, errors: FieldErrors, label: string): string {
  const value = text(raw)
  if (!value) errors[field] = `Nhập ${label}.`
  else if (value.length > 300) errors[field] = `${label[0]!.toUpperCase()}${label.slice(1)} tối đa 300 ký tự.`
  return value
}

function code(raw: unknown, field: string, errors: FieldErrors, label: string): string {
  const value = text(raw)
  if (!value) errors[field] = `Nhập ${label}.`
  else if (!isIdentifierPart(value)) {
    errors[field] =
      `${label[0]!.toUpperCase()}${label.slice(1)} chỉ gồm chữ cái không dấu, chữ số, “.”, “_”, “-” (tối đa 64 ký tự).`
  }
  return value
}

export type MemberInput = { instance: string; memberClass: MemberClass; memberCode: string; name: string }

export function parseMemberInput(raw: Raw): MemberInput {
  const errors: FieldErrors = {}
  const instance = text(raw.instance) || DEFAULT_INSTANCE
  if (!isIdentifierPart(instance))
    errors.instance = 'Mã hệ thống (instance) chỉ gồm chữ cái, chữ số, “.”, “-”.'
  const memberClass = text(raw.memberClass).toUpperCase()
  if (!(MEMBER_CLASSES as readonly string[]).includes(memberClass)) {
    errors.memberClass =
      'Chọn loại thành viên: GOV (cơ quan nhà nước), COM (doanh nghiệp) hoặc ORG (tổ chức khác).'
  }
  const memberCode = text(raw.memberCode).toUpperCase()
  if (!memberCode) errors.memberCode = 'Nhập mã định danh của thành viên.'
  else if (!errors.memberClass) {
    const problem = memberCodeProblem(memberClass, memberCode)
    if (problem) errors.memberCode = problem
  }
  const memberName = name(raw.name, 'name', errors, 'tên cơ quan, tổ chức')
  if (Object.keys(errors).length) throw new ValidationError(errors)
  return { instance, memberClass: memberClass as MemberClass, memberCode, name: memberName }
}

export type SubsystemInput = {
  code: string
  name: string
  ssoClientId: string | null
  rateLimitPerMinute: number
  /** Mutual TLS: the certificate the client system must present; null when it is not bound to one. */
  clientCertificate: RegisteredCertificate | null
  disabled: boolean
}

export function parseSubsystemInput(raw: Raw, now: Date): SubsystemInput {
  const errors: FieldErrors = {}
  const subsystemCode = code(raw.code, 'code', errors, 'mã hệ thống')
  const subsystemName = name(raw.name, 'name', errors, 'tên hệ thống')
  const ssoClientId = text(raw.ssoClientId) || null
  if (ssoClientId && (ssoClientId.length > 100 || !/^[A-Za-z0-9._-]+$/.test(ssoClientId))) {
    errors.ssoClientId = 'Mã ứng dụng SSO (client_id) không hợp lệ.'
  }
  const rateLimitPerMinute = integer(
    raw.rateLimitPerMinute,
    'rateLimitPerMinute',
    DEFAULT_RATE_LIMIT,
    1,
    1_000_000,
    errors,
    'Giới hạn số lần gọi mỗi phút là số nguyên từ 1 đến 1.000.000.',
  )
  let clientCertificate: RegisteredCertificate | null = null
  const pem = typeof raw.clientCertificate === 'string' ? raw.clientCertificate.trim() : ''
  if (pem) {
    const parsed = parseRegisteredCertificate(pem, now)
    if ('problem' in parsed) errors.clientCertificate = parsed.problem
    else clientCertificate = parsed.certificate
  }
  if (Object.keys(errors).length) throw new ValidationError(errors)
  return {
    code: subsystemCode,
    name: subsystemName,
    ssoClientId,
    rateLimitPerMinute,
    clientCertificate,
    disabled: flag(raw.disabled),
  }
}

export type ServiceInput = {
  code: string
  version: string
  title: string
  description: string | null
  baseUrl: string
  openapi: Record<string, unknown> | null
  timeoutMs: number
  maxBodyBytes: number
  logBodies: boolean
  disabled: boolean
}

/** Why a document is not an OpenAPI 3 description, or undefined. Structural: the parts a gateway relies on. */
export function openApiProblem(doc: unknown): string | undefined {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    return 'Tài liệu OpenAPI phải là một đối tượng JSON.'
  const o = doc as Record<string, unknown>
  if (typeof o.openapi !== 'string' || !/^3\.[01]\.\d+$/.test(o.openapi)) {
    return 'Tài liệu phải là OpenAPI 3.0 hoặc 3.1 (trường "openapi": "3.0.3", "3.1.0"…).'
  }
  const info = o.info as Record<string, unknown> | undefined
  if (
    typeof info !== 'object' ||
    info === null ||
    typeof info.title !== 'string' ||
    typeof info.version !== 'string'
  ) {
    return 'Tài liệu OpenAPI thiếu "info" với "title" và "version".'
  }
  const is31 = o.openapi.startsWith('3.1')
  if (o.paths === undefined && !(is31 && (o.webhooks !== undefined || o.components !== undefined))) {
    return 'Tài liệu OpenAPI thiếu "paths".'
  }
  if (o.paths !== undefined) {
    if (typeof o.paths !== 'object' || o.paths === null || Array.isArray(o.paths)) {
      return '"paths" của tài liệu OpenAPI phải là một đối tượng.'
    }
    const operations = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'])
    for (const [path, item] of Object.entries(o.paths)) {
      if (!path.startsWith('/'))
        return `Đường dẫn "${path.slice(0, 60)}" trong "paths" phải bắt đầu bằng "/".`
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        return `Mục "${path.slice(0, 60)}" trong "paths" phải là một đối tượng.`
      }
      for (const [key, operation] of Object.entries(item)) {
        if (operations.has(key) && (typeof operation !== 'object' || operation === null)) {
          return `Thao tác ${key.toUpperCase()} ${path.slice(0, 60)} phải là một đối tượng.`
        }
        if (operations.has(key)) {
          const responses = (operation as Record<string, unknown>).responses
          if (!is31 && (typeof responses !== 'object' || responses === null)) {
            return `Thao tác ${key.toUpperCase()} ${path.slice(0, 60)} thiếu "responses".`
          }
        }
      }
    }
  }
  if (o.servers !== undefined && !Array.isArray(o.servers))
    return '"servers" của tài liệu OpenAPI phải là một mảng.'
  return undefined
}

function openApi(raw: unknown, errors: FieldErrors): Record<string, unknown> | null {
  let doc: unknown = raw
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) return null
  if (typeof raw === 'string') {
    if (Buffer.byteLength(raw) > MAX_OPENAPI_BYTES) {
      errors.openapi = 'Tài liệu OpenAPI tối đa 1 MB.'
      return null
    }
    try {
      doc = JSON.parse(raw)
    } catch {
      errors.openapi = 'Tài liệu OpenAPI không phải JSON hợp lệ (sai cú pháp).'
      return null
    }
  } else if (Buffer.byteLength(JSON.stringify(raw)) > MAX_OPENAPI_BYTES) {
    errors.openapi = 'Tài liệu OpenAPI tối đa 1 MB.'
    return null
  }
  const problem = openApiProblem(doc)
  if (problem) {
    errors.openapi = problem
    return null
  }
  return doc as Record<string, unknown>
}

export function parseServiceInput(raw: Raw): ServiceInput {
  const errors: FieldErrors = {}
  const serviceCode = code(raw.code, 'code', errors, 'mã dịch vụ')
  if (!errors.code && (META_SERVICES as readonly string[]).includes(serviceCode)) {
    errors.code = `Mã “${serviceCode}” dành cho dịch vụ tra cứu của nền tảng; chọn mã khác.`
  }
  const version = text(raw.version)
  if (!version) errors.version = 'Nhập phiên bản dịch vụ (ví dụ v1).'
  else if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/.test(version)) {
    errors.version = 'Phiên bản chỉ gồm chữ cái không dấu, chữ số, “.”, “_”, “-” (tối đa 32 ký tự).'
  }
  const title = name(raw.title, 'title', errors, 'tên dịch vụ')
  const description = text(raw.description).slice(0, 2000) || null
  const baseUrl = text(raw.baseUrl)
  if (!baseUrl) errors.baseUrl = 'Nhập địa chỉ gốc của dịch vụ (base URL).'
  else if (baseUrl.length > 2000) errors.baseUrl = 'Địa chỉ dịch vụ quá dài.'
  const openapi = openApi(raw.openapi, errors)
  const timeoutMs = integer(
    raw.timeoutMs,
    'timeoutMs',
    DEFAULT_TIMEOUT_MS,
    100,
    600_000,
    errors,
    'Thời gian chờ là số mili giây từ 100 đến 600.000.',
  )
  const maxBodyBytes = integer(
    raw.maxBodyBytes,
    'maxBodyBytes',
    DEFAULT_MAX_BODY_BYTES,
    1,
    2 * 1024 * 1_048_576,
    errors,
    'Dung lượng tối đa là số byte từ 1 đến 2 GB.',
  )
  if (Object.keys(errors).length) throw new ValidationError(errors)
  return {
    code: serviceCode,
    version,
    title,
    description,
    baseUrl,
    openapi,
    timeoutMs,
    maxBodyBytes,
    logBodies: flag(raw.logBodies),
    disabled: flag(raw.disabled),
  }
}

export type AccessRightInput = { client: string; methods: string[]; pathPattern: string }

export function parseAccessRightInput(raw: Raw): AccessRightInput {
  const errors: FieldErrors = {}
  const client = text(raw.client)
  if (!client) errors.client = 'Chọn hệ thống được phép gọi.'
  const list = Array.isArray(raw.methods)
    ? raw.methods.map(text)
    : text(raw.methods)
        .split(/[\s,]+/)
        .filter(Boolean)
  const methods = [...new Set(list.map((m) => m.toUpperCase()))]
  if (methods.length === 0) methods.push('*')
  if (methods.includes('*') && methods.length > 1) {
    errors.methods = 'Dùng “*” cho mọi phương thức, hoặc liệt kê từng phương thức, không dùng cả hai.'
  } else if (methods.some((m) => m !== '*' && !(HTTP_METHODS as readonly string[]).includes(m))) {
    errors.methods = `Phương thức phải là * hoặc trong ${HTTP_METHODS.join(', ')}.`
  }
  const pathPattern = text(raw.pathPattern) || '/**'
  const problem = pathPatternProblem(pathPattern)
  if (problem) errors.pathPattern = problem
  if (Object.keys(errors).length) throw new ValidationError(errors)
  return { client, methods, pathPattern }
}
