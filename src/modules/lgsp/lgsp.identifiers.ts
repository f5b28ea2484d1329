import { MEMBER_CLASSES, MemberClass } from './lgsp.tables.js'

/**
 * X-Road identifiers: `INSTANCE/CLASS/MEMBER/SUBSYSTEM` for a subsystem, one more part for a service. Each part is
 * percent-encoded in headers and paths; decoded, it must be printable and free of the characters X-Road reserves
 * (PR-REST 4.8: no `/`, `\`, `;`, `:`, `%`, no control characters). We are stricter still: letters, digits, `.`,
 * `_` and `-`, which every real code (QCVN 102, tax codes, system codes) fits.
 */
const PART = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

/** The agency code of QCVN 102:2016/BTTTT, levels 4.3.2.1 bottom-up, e.g. `000.00.00.H14` (UBND tỉnh Cao Bằng). */
export const QCVN102_CODE = /^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$/
/** A tax code (mã số doanh nghiệp): 10 digits, or 10 + 3 for a branch (written with a dash). */
export const TAX_CODE = /^\d{10}(-\d{3})?$/
/** QĐ 20/2020/QĐ-TTg identifier of an organisation outside the state: `Zxy` scheme code + code (≤ 35 chars). */
export const OTHER_ORG_CODE = /^Z\d{2}[0-9A-Z.]{1,32}$/

/** The X-Road metaservices; no registered service may take these codes. */
export const META_SERVICES = ['listClients', 'listMethods', 'allowedMethods', 'getOpenAPI'] as const
export type MetaService = (typeof META_SERVICES)[number]

export type SubsystemId = { instance: string; memberClass: string; memberCode: string; subsystemCode: string }
export type ServiceId = SubsystemId & { serviceCode: string }

export function isIdentifierPart(value: string): boolean {
  return PART.test(value)
}

/** The message (Vietnamese) explaining why a member code does not fit its class, or undefined when it does. */
export function memberCodeProblem(memberClass: string, code: string): string | undefined {
  switch (memberClass) {
    case MemberClass.gov:
      return QCVN102_CODE.test(code)
        ? undefined
        : 'Mã cơ quan nhà nước phải theo QCVN 102:2016/BTTTT, dạng 000.00.00.H14.'
    case MemberClass.com:
      return TAX_CODE.test(code)
        ? undefined
        : 'Mã doanh nghiệp là mã số thuế gồm 10 chữ số (chi nhánh: thêm -3 chữ số).'
    case MemberClass.org:
      return OTHER_ORG_CODE.test(code)
        ? undefined
        : 'Mã tổ chức khác theo QĐ 20/2020/QĐ-TTg: Zxx và mã tổ chức (chữ in hoa, số, dấu chấm).'
    default:
      return `Loại thành viên phải là một trong ${MEMBER_CLASSES.join(', ')}.`
  }
}

export function formatSubsystemId(id: SubsystemId): string {
  return [id.instance, id.memberClass, id.memberCode, id.subsystemCode].join('/')
}

export function formatServiceId(id: ServiceId): string {
  return `${formatSubsystemId(id)}/${id.serviceCode}`
}

/** Thrown when an identifier, in a header or a path, is malformed. */
export class IdentifierError extends Error {}

function decodePart(raw: string): string {
  let decoded: string
  try {
    decoded = decodeURIComponent(raw)
  } catch {
    throw new IdentifierError('bad percent-encoding')
  }
  if (!PART.test(decoded)) throw new IdentifierError('bad identifier part')
  return decoded
}

/** Parses an `X-Road-Client` header value: exactly four percent-encoded parts. */
export function parseClientHeader(value: string | string[] | undefined): SubsystemId {
  if (typeof value !== 'string' || value.length === 0 || value.length > 400) {
    throw new IdentifierError('missing or repeated header')
  }
  const parts = value.split('/')
  if (parts.length !== 4) throw new IdentifierError('four parts expected')
  const [instance, memberClass, memberCode, subsystemCode] = parts.map(decodePart) as [
    string,
    string,
    string,
    string,
  ]
  return { instance, memberClass, memberCode, subsystemCode }
}

/**
 * The parts of a gateway path below `/r1/`: the provider subsystem, then a service code (or a metaservice) and
 * the rest of the path as sent (still percent-encoded, with its query string). `listClients` may also stand right
 * after the instance, or alone.
 */
export type GatewayTarget =
  | { kind: 'listClients'; instance?: string }
  | { kind: 'meta'; subsystem: SubsystemId; meta: Exclude<MetaService, 'listClients'>; query: string }
  | { kind: 'service'; service: ServiceId; rest: string }

export function parseGatewayPath(url: string): GatewayTarget {
  const queryAt = url.indexOf('?')
  const path = queryAt < 0 ? url : url.slice(0, queryAt)
  const query = queryAt < 0 ? '' : url.slice(queryAt)
  if (!path.startsWith('/r1/')) throw new IdentifierError('not a gateway path')
  const segments = path.slice(4).split('/')
  if (segments.length === 1 && segments[0] === 'listClients') return { kind: 'listClients' }
  if (segments.length === 2 && segments[1] === 'listClients') {
    return { kind: 'listClients', instance: decodePart(segments[0]!) }
  }
  if (segments.length < 5) throw new IdentifierError('service identifier incomplete')
  const [instance, memberClass, memberCode, subsystemCode, code] = segments.slice(0, 5).map(decodePart) as [
    string,
    string,
    string,
    string,
    string,
  ]
  const subsystem = { instance, memberClass, memberCode, subsystemCode }
  if (code === 'listMethods' || code === 'allowedMethods' || code === 'getOpenAPI') {
    if (segments.length !== 5) throw new IdentifierError('metaservices take no path')
    return { kind: 'meta', subsystem, meta: code, query }
  }
  const restPath = segments.length > 5 ? `/${segments.slice(5).join('/')}` : ''
  return { kind: 'service', service: { ...subsystem, serviceCode: code }, rest: `${restPath}${query}` }
}

/**
 * Refuses a path below a service that could leave the service's base path or smuggle something into the
 * request line: dot segments (also percent-encoded), backslashes, encoded slashes or control characters.
 */
export function restPathProblem(rest: string): string | undefined {
  const queryAt = rest.indexOf('?')
  const path = queryAt < 0 ? rest : rest.slice(0, queryAt)
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\ ]/.test(rest)) return 'control character, space or backslash'
  if (/%(0[0-9a-f]|1[0-9a-f]|7f|5c)/i.test(rest)) return 'encoded control character or backslash'
  if (/%2f/i.test(path)) return 'encoded slash'
  for (const segment of path.split('/')) {
    let decoded: string
    try {
      decoded = decodeURIComponent(segment)
    } catch {
      return 'bad percent-encoding'
    }
    if (decoded === '.' || decoded === '..') return 'dot segment'
  }
  return undefined
}

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const

/** An access-right path pattern: starts with `/`, segments of URL characters, `*` one segment, `**` many. */
export function pathPatternProblem(pattern: string): string | undefined {
  if (!pattern.startsWith('/') || pattern.length > 300) return 'Mẫu đường dẫn phải bắt đầu bằng “/”.'
  if (!/^[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/.test(pattern)) {
    return 'Mẫu đường dẫn chỉ gồm ký tự của URL, “*” (một đoạn) và “**” (nhiều đoạn).'
  }
  if (pattern.split('/').some((s) => s.includes('*') && s !== '*' && s !== '**')) {
    return 'Dấu “*” phải đứng riêng một đoạn: /ho-so/* hoặc /ho-so/**.'
  }
  return undefined
}

/** Whether a request path (without query) matches an access-right pattern. */
export function pathMatches(pattern: string, path: string): boolean {
  const want = pattern.split('/').filter(Boolean)
  const have = path.split('/').filter(Boolean)
  const match = (i: number, j: number): boolean => {
    if (i === want.length) return j === have.length
    const part = want[i]
    if (part === '**') {
      for (let k = j; k <= have.length; k++) if (match(i + 1, k)) return true
      return false
    }
    if (j === have.length) return false
    return (part === '*' || part === have[j]) && match(i + 1, j + 1)
  }
  return match(0, 0)
}
