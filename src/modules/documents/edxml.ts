import { createHash } from 'node:crypto'
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { VN_UTC_OFFSET_MINUTES } from '../../platform/calendar/index.js'

/**
 * The edXML envelope of QCVN 102:2016/BTTTT (document exchange between agencies), built and read here as
 * plain data: the service maps it to and from its rows. Structure from the SDK-conformant builders
 * summarised in shared/reference/vn-standards.md §3.
 */
export const EDXML_NS = 'http://www.mic.gov.vn/TBT/QCVN_102_2016'

/** StatusCode values of a status message (vn-standards §3.2). */
export const StatusCode = {
  arrived: '01',
  refused: '02',
  accepted: '03',
  assigned: '04',
  inProgress: '05',
  completed: '06',
  /** The sender asks for the document back (some exchanges signal a recall this way). */
  recallRequested: '13',
  /** The recipient agreed to a recall or an update (or took in a replacement). */
  amendmentAgreed: '15',
  /** The recipient refused a recall or an update. */
  amendmentRefused: '16',
} as const
export type StatusCode = (typeof StatusCode)[keyof typeof StatusCode]
export const STATUS_CODES: readonly StatusCode[] = Object.values(StatusCode)

export const statusDescription: Record<StatusCode, string> = {
  '01': 'Đã đến',
  '02': 'Từ chối tiếp nhận',
  '03': 'Đã tiếp nhận',
  '04': 'Phân công xử lý',
  '05': 'Đang xử lý',
  '06': 'Hoàn thành',
  '13': 'Yêu cầu lấy lại văn bản',
  '15': 'Đồng ý lấy lại / cập nhật văn bản',
  '16': 'Từ chối lấy lại / cập nhật văn bản',
}

/** Bussiness/BussinessDocType: what the package does (vn-standards §3.1). */
export const BusinessType = { new: 0, recall: 1, update: 2, replace: 3 } as const
export type BusinessType = (typeof BusinessType)[keyof typeof BusinessType]

export const businessLabel: Record<BusinessType, string> = {
  0: 'Văn bản mới',
  1: 'Thu hồi',
  2: 'Cập nhật',
  3: 'Thay thế',
}

/**
 * The business part of the trace header. A recall or an update names the document concerned in DocumentId
 * (the same as the header's); a replacement names the documents it replaces in ReplacementInfoList.
 */
export type EdxmlBusiness = {
  type: BusinessType
  reason: string
  documentId: string
  replacements: { documentId: string; organIds: string[] }[]
}

export const newBusiness = (): EdxmlBusiness => ({
  type: BusinessType.new,
  reason: 'Văn bản điện tử mới',
  documentId: '',
  replacements: [],
})

export type EdxmlOrgan = {
  organId: string
  organName: string
  organizationInCharge: string
  organAdd: string
  email: string
  telephone: string
  fax: string
  website: string
}

export type EdxmlResponseFor = { organId: string; code: string; promulgationDate: string; documentId: string }

export type EdxmlAttachment = { contentId: string; name: string; contentType: string; description: string }

export type EdxmlDocument = {
  from: EdxmlOrgan
  to: EdxmlOrgan[]
  codeNumber: string
  codeNotation: string
  place: string
  /** YYYY-MM-DD */
  promulgationDate: string
  type: { code: number; name: string }
  subject: string
  content: string
  signer: { competence: string; position: string; fullName: string }
  /** YYYY-MM-DD */
  dueDate: string | null
  toPlaces: string[]
  /** 0 normal … 3 flash (hỏa tốc). */
  priority: number
  sphereOfPromulgation: string
  typerNotation: string
  promulgationAmount: number | null
  pageAmount: number | null
  appendixes: string[]
  responseFor: EdxmlResponseFor[]
  steeringType: number
  documentId: string
}

export type EdxmlPackage = {
  document: EdxmlDocument
  attachments: (EdxmlAttachment & { bytes: Buffer })[]
  /** A new document when absent. */
  business?: EdxmlBusiness
}

export const emptyOrgan = (organId = '', organName = ''): EdxmlOrgan => ({
  organId,
  organName,
  organizationInCharge: '',
  organAdd: '',
  email: '',
  telephone: '',
  fax: '',
  website: '',
})

/** `{OrganId},{yyyy/MM/dd},{CodeNumber}/{CodeNotation}` (vn-standards §3.1). */
export function edxmlDocumentId(organId: string, date: string, number: string, notation: string): string {
  return `${organId},${date.replace(/-/g, '/')},${number}/${notation}`
}

/** Names one package: the same text sent twice (a retry over the LGSP) has the same key. */
export function packageKey(xml: string): string {
  return createHash('sha256').update(xml).digest('hex').slice(0, 32)
}

/** The parts of a DocumentId, or null when it does not have the standard's form. */
export function parseDocumentId(
  id: string,
): { organId: string; date: string; codeNumber: string; codeNotation: string } | null {
  const match = /^([^,]+),([^,]+),([^/]+)\/(.+)$/.exec(id.trim())
  const date = match ? parseEdxmlDate(match[2]!) : null
  if (!match || !date || !AGENCY_CODE.test(match[1]!)) return null
  return { organId: match[1]!, date, codeNumber: match[3]!, codeNotation: match[4]! }
}

// ---------------------------------------------------------------------------------------------------------
// Writing

// XML 1.0 refuses most control characters even as references: drop them rather than write a broken file.
// eslint-disable-next-line no-control-regex
const INVALID_XML_CHARS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g

export function escapeXml(value: string): string {
  return value
    .replace(INVALID_XML_CHARS, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
}

type Node = string | number | null | Node[] | { [name: string]: Node }

/** Elements in the edXML namespace, indented; text is escaped, null writes an empty element. */
function render(name: string, value: Node, depth: number, prefix = 'edXML:'): string {
  const pad = '  '.repeat(depth)
  const tag = `${prefix}${name}`
  if (value === null || value === '') return `${pad}<${tag}/>`
  if (typeof value === 'string' || typeof value === 'number') {
    return `${pad}<${tag}>${escapeXml(String(value))}</${tag}>`
  }
  if (Array.isArray(value)) return value.map((item) => render(name, item, depth, prefix)).join('\n')
  const inner = Object.entries(value)
    .map(([child, node]) => render(child, node, depth + 1, prefix))
    .join('\n')
  return `${pad}<${tag}>\n${inner}\n${pad}</${tag}>`
}

const slashDate = (date: string) => date.replace(/-/g, '/')

/** yyyy/MM/dd HH:mm:ss in Việt Nam time, as TraceHeader and status Timestamp carry it. */
export function edxmlTimestamp(at: Date): string {
  const local = new Date(at.getTime() + VN_UTC_OFFSET_MINUTES * 60_000).toISOString()
  return `${local.slice(0, 10).replace(/-/g, '/')} ${local.slice(11, 19)}`
}

const organNode = (o: EdxmlOrgan) => ({
  OrganId: o.organId,
  OrganizationInCharge: o.organizationInCharge,
  OrganName: o.organName,
  OrganAdd: o.organAdd,
  Email: o.email,
  Telephone: o.telephone,
  Fax: o.fax,
  Website: o.website,
})

/** The whole package: envelope (header, manifest) and the attachments base64-encoded after it. */
export function buildEnvelope(pkg: EdxmlPackage, now: Date): string {
  const d = pkg.document
  const header = {
    From: organNode(d.from),
    To: d.to.map(organNode),
    Code: { CodeNumber: d.codeNumber, CodeNotation: d.codeNotation },
    PromulgationInfo: { Place: d.place, PromulgationDate: slashDate(d.promulgationDate) },
    DocumentType: { Type: d.type.code, TypeName: d.type.name, TypeDetail: 0 },
    Subject: d.subject,
    Content: d.content,
    SignerInfo: { Competence: d.signer.competence, Position: d.signer.position, FullName: d.signer.fullName },
    DueDate: d.dueDate ? slashDate(d.dueDate) : null,
    ToPlaces: d.toPlaces.length ? { Place: d.toPlaces } : null,
    OtherInfo: {
      Priority: d.priority,
      SphereOfPromulgation: d.sphereOfPromulgation,
      TyperNotation: d.typerNotation,
      PromulgationAmount: d.promulgationAmount,
      PageAmount: d.pageAmount,
      Appendixes: d.appendixes.length ? { Appendix: d.appendixes } : null,
    },
    ResponseFor: d.responseFor.map((r) => ({
      OrganId: r.organId,
      Code: r.code,
      PromulgationDate: slashDate(r.promulgationDate),
      DocumentId: r.documentId,
    })),
    SteeringType: d.steeringType,
    DocumentId: d.documentId,
  }
  const business = pkg.business ?? newBusiness()
  const trace = {
    TraceHeader: { OrganId: d.from.organId, Timestamp: edxmlTimestamp(now) },
    Bussiness: {
      BussinessDocType: business.type,
      BussinessDocReason: business.reason,
      ...(business.documentId ? { DocumentId: business.documentId } : {}),
      Paper: 0,
      ...(business.replacements.length
        ? {
            ReplacementInfoList: {
              ReplacementInfo: business.replacements.map((r) => ({
                DocumentId: r.documentId,
                OrganIdList: r.organIds.length ? { OrganId: r.organIds } : null,
              })),
            },
          }
        : {}),
    },
  }
  const references = pkg.attachments
    .map((a) =>
      [
        `      <edXML:Reference xmlns:xlink="http://www.w3.org/1999/xlink" xlink:href="cid:${escapeXml(a.contentId)}" xlink:role="XLinkRole" xlink:type="simple">`,
        render('Description', a.description, 4),
        render('AttachmentName', a.name, 4),
        render('ContentType', a.contentType, 4),
        render('ContentId', `cid:${a.contentId}`, 4),
        '      </edXML:Reference>',
      ].join('\n'),
    )
    .join('\n')
  const attachments = pkg.attachments
    .map((a) =>
      render(
        'Attachment',
        {
          ContentType: a.contentType,
          ContentId: a.contentId,
          Description: a.description,
          // Wrapped at 76 characters, as MIME does: some receivers read the base64 line by line.
          ContentTransferEncoded: a.bytes.toString('base64').replace(/(.{76})/g, '$1\n'),
          AttachmentName: a.name,
        },
        2,
        '',
      ),
    )
    .join('\n')
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<edXML xmlns="${EDXML_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">`,
    `  <edXML:edXMLEnvelope xmlns:edXML="${EDXML_NS}">`,
    '    <edXML:edXMLHeader>',
    render('MessageHeader', header, 3),
    '      <edXML:TraceHeaderList version="1.0">',
    Object.entries(trace)
      .map(([name, node]) => render(name, node, 4))
      .join('\n'),
    '      </edXML:TraceHeaderList>',
    '    </edXML:edXMLHeader>',
    '    <edXML:edXMLBody>',
    '      <edXML:edXMLManifest version="1.0">',
    references,
    '      </edXML:edXMLManifest>',
    '    </edXML:edXMLBody>',
    '  </edXML:edXMLEnvelope>',
    '  <AttachmentEncoded>',
    attachments,
    '  </AttachmentEncoded>',
    '</edXML>',
    '',
  ]
    .filter((line) => line !== '')
    .join('\n')
}

/** A status message (trace) about a received document, for its sender (vn-standards §3.2). */
export function buildStatusMessage(input: {
  responseFor: EdxmlResponseFor
  from: EdxmlOrgan
  code: StatusCode
  description: string
  at: Date
  staff: { department: string; name: string; email: string }
}): string {
  const status = {
    ResponseFor: {
      OrganId: input.responseFor.organId,
      Code: input.responseFor.code,
      PromulgationDate: slashDate(input.responseFor.promulgationDate),
      DocumentId: input.responseFor.documentId,
    },
    From: organNode(input.from),
    StatusCode: input.code,
    Description: input.description,
    Timestamp: edxmlTimestamp(input.at),
    StaffInfo: {
      Department: input.staff.department,
      Staff: input.staff.name,
      Mobile: '',
      Email: input.staff.email,
    },
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<edXML xmlns="${EDXML_NS}">`,
    `  <edXML:edXMLEnvelope xmlns:edXML="${EDXML_NS}">`,
    '    <edXML:edXMLHeader>',
    render('Status', status, 3),
    '    </edXML:edXMLHeader>',
    '    <edXML:edXMLBody/>',
    '  </edXML:edXMLEnvelope>',
    '</edXML>',
    '',
  ].join('\n')
}

// ---------------------------------------------------------------------------------------------------------
// Reading

/** Thrown (as a list) when an envelope cannot be accepted; each problem is a sentence for the clerk. */
export type EnvelopeProblems = string[]

const AGENCY_CODE = /^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$/
// Names that would reach an object's prototype once the parser turns elements into keys.
const UNSAFE_NAME = /<\/?\s*(?:[\w.-]+:)?(?:__proto__|constructor|prototype)[\s/>]/
const ROOT = /^\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--[\s\S]*?-->\s*)*<(?:([A-Za-z_][\w.-]*):)?edXML\b([^>]*)>/

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

/** Entity references are decoded here, once, and only the five of XML and numeric ones. */
function decodeXml(value: string): string {
  return value.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_, entity: string) => {
    if (entity.startsWith('#x')) return String.fromCodePoint(parseInt(entity.slice(2), 16))
    if (entity.startsWith('#')) return String.fromCodePoint(parseInt(entity.slice(1), 10))
    return ENTITIES[entity]!
  })
}

type Tree = { [name: string]: unknown }
const isTree = (value: unknown): value is Tree =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** Reads the tree, noting each problem with the element's path, so one refusal lists everything wrong. */
class Reader {
  readonly problems: string[] = []

  /** A child element that must appear at most once; `required` notes its absence. */
  node(parent: Tree | undefined, name: string, path: string, required: boolean): Tree | undefined {
    const value = parent?.[name]
    if (value === undefined) {
      if (required) this.problems.push(`Thiếu phần tử ${path}/${name}.`)
      return undefined
    }
    if (Array.isArray(value)) {
      this.problems.push(`Phần tử ${path}/${name} chỉ được xuất hiện một lần.`)
      return undefined
    }
    if (value === '')
      return required ? (this.problems.push(`Phần tử ${path}/${name} bị trống.`), undefined) : {}
    if (!isTree(value)) {
      this.problems.push(`Phần tử ${path}/${name} phải chứa các phần tử con.`)
      return undefined
    }
    return value
  }

  /** Repeated child elements (none is an empty list). */
  nodes(parent: Tree | undefined, name: string, path: string): Tree[] {
    const value = parent?.[name]
    if (value === undefined || value === '') return []
    const list = Array.isArray(value) ? value : [value]
    return list.flatMap((item) => {
      if (isTree(item)) return [item]
      if (item === '') return [{}]
      this.problems.push(`Phần tử ${path}/${name} phải chứa các phần tử con.`)
      return []
    })
  }

  /** The text of a child element, decoded and trimmed; '' when absent and not required. */
  text(parent: Tree | undefined, name: string, path: string, label: string, required = false): string {
    const value = parent?.[name]
    if (value === undefined || value === '') {
      if (required) this.problems.push(`Thiếu ${path}/${name} (${label}).`)
      return ''
    }
    if (Array.isArray(value)) {
      this.problems.push(`Phần tử ${path}/${name} (${label}) chỉ được xuất hiện một lần.`)
      return ''
    }
    if (typeof value !== 'string') {
      this.problems.push(`Phần tử ${path}/${name} (${label}) phải là văn bản, không chứa phần tử con.`)
      return ''
    }
    return decodeXml(value).normalize('NFC').trim()
  }

  texts(parent: Tree | undefined, name: string, path: string): string[] {
    const value = parent?.[name]
    if (value === undefined) return []
    return (Array.isArray(value) ? value : [value]).flatMap((item) => {
      if (typeof item === 'string') return item ? [decodeXml(item).normalize('NFC').trim()] : []
      this.problems.push(`Phần tử ${path}/${name} phải là văn bản.`)
      return []
    })
  }

  integer(parent: Tree | undefined, name: string, path: string, label: string, fallback: number | null) {
    const raw = this.text(parent, name, path, label)
    if (raw === '') return fallback
    if (!/^\d{1,9}$/.test(raw)) {
      this.problems.push(`${path}/${name} (${label}) phải là số nguyên không âm, nhận được "${raw}".`)
      return fallback
    }
    return Number(raw)
  }

  /** yyyy/MM/dd as the standard writes it; also yyyy-MM-dd and dd/MM/yyyy, which some senders use. */
  date(parent: Tree | undefined, name: string, path: string, label: string, required: boolean) {
    const raw = this.text(parent, name, path, label, required)
    if (raw === '') return null
    const iso = parseEdxmlDate(raw)
    if (!iso) {
      this.problems.push(
        `${path}/${name} (${label}) "${raw}" không phải ngày hợp lệ theo định dạng yyyy/MM/dd.`,
      )
    }
    return iso
  }

  organ(node: Tree | undefined, path: string): EdxmlOrgan {
    const organ: EdxmlOrgan = {
      organId: this.text(node, 'OrganId', path, 'mã định danh cơ quan', true),
      organName: this.text(node, 'OrganName', path, 'tên cơ quan'),
      organizationInCharge: this.text(node, 'OrganizationInCharge', path, 'cơ quan chủ quản'),
      organAdd: this.text(node, 'OrganAdd', path, 'địa chỉ'),
      email: this.text(node, 'Email', path, 'thư điện tử'),
      telephone: this.text(node, 'Telephone', path, 'điện thoại'),
      fax: this.text(node, 'Fax', path, 'fax'),
      website: this.text(node, 'Website', path, 'trang thông tin điện tử'),
    }
    if (organ.organId && !AGENCY_CODE.test(organ.organId)) {
      this.problems.push(
        `${path}/OrganId "${organ.organId}" không đúng mã định danh theo QCVN 102:2016 (dạng 000.00.00.H14).`,
      )
    }
    return organ
  }
}

export function parseEdxmlDate(raw: string): string | null {
  const ymd = /^(\d{4})[/-](\d{2})[/-](\d{2})$/.exec(raw)
  const dmy = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(raw)
  const [year, month, day] = ymd ? [ymd[1], ymd[2], ymd[3]] : dmy ? [dmy[3], dmy[2], dmy[1]] : []
  if (!year || !month || !day) return null
  const iso = `${year}-${month}-${day}`
  const date = new Date(`${iso}T00:00:00Z`)
  return Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== iso ? null : iso
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

// Prefixes dropped (the namespace is checked on the root), attributes ignored, every value kept as text;
// entities are decoded by decodeXml, once, so "&amp;lt;" stays "&lt;".
const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: true,
  processEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
})

/** The XML checks every edXML message passes first: no DOCTYPE, well-formed, the edXML namespace on the root. */
function readTree(xml: string): { ok: true; tree: Tree } | { ok: false; problems: EnvelopeProblems } {
  const text = xml.replace(/^\uFEFF/, '')
  if (text.trim() === '') return { ok: false, problems: ['Tệp edXML trống.'] }
  if (/<!DOCTYPE/i.test(text)) {
    return { ok: false, problems: ['Gói tin edXML không được chứa khai báo DOCTYPE.'] }
  }
  if (UNSAFE_NAME.test(text)) {
    return { ok: false, problems: ['Gói tin edXML chứa tên phần tử không hợp lệ.'] }
  }
  const valid = XMLValidator.validate(text)
  if (valid !== true) {
    return {
      ok: false,
      problems: [
        `Tệp không phải XML hợp lệ: lỗi cú pháp ở dòng ${valid.err.line}, cột ${valid.err.col} (${valid.err.msg}).`,
      ],
    }
  }
  const root = ROOT.exec(text)
  const prefix = root?.[1]
  const declared = root
    ? new RegExp(`xmlns${prefix ? `:${prefix}` : ''}\\s*=\\s*["']${EDXML_NS.replace(/[./]/g, '\\$&')}["']`)
    : null
  if (!root || !declared?.test(root[2] ?? '')) {
    return {
      ok: false,
      problems: [`Không phải gói tin edXML: phần tử gốc phải là edXML trong không gian tên ${EDXML_NS}.`],
    }
  }
  return { ok: true, tree: parser.parse(text) as Tree }
}

/**
 * Reads a package strictly: well-formed XML without DOCTYPE, the edXML namespace on the root, every field
 * the register needs, a manifest whose references and encoded attachments match one to one, and valid
 * base64. Returns every problem found, so the sender can fix them all at once.
 */
export function parseEnvelope(
  xml: string,
): { ok: true; package: Required<EdxmlPackage> } | { ok: false; problems: EnvelopeProblems } {
  const read = readTree(xml)
  if (!read.ok) return read
  const tree = read.tree

  const r = new Reader()
  const edxml = r.node(tree, 'edXML', '', true)
  const envelope = r.node(edxml, 'edXMLEnvelope', 'edXML', true)
  const header = r.node(envelope, 'edXMLHeader', 'edXMLEnvelope', true)
  const H = 'MessageHeader'
  const message = r.node(header, H, 'edXMLHeader', true)
  if (!message) return { ok: false, problems: r.problems }

  const from = r.organ(r.node(message, 'From', H, true), `${H}/From`)
  const to = r.nodes(message, 'To', H).map((node) => r.organ(node, `${H}/To`))
  if (to.length === 0) r.problems.push(`Thiếu ${H}/To (cơ quan nhận).`)
  const code = r.node(message, 'Code', H, true)
  const codeNumber = r.text(code, 'CodeNumber', `${H}/Code`, 'số văn bản', true)
  const codeNotation = r.text(code, 'CodeNotation', `${H}/Code`, 'ký hiệu văn bản', true)
  const promulgation = r.node(message, 'PromulgationInfo', H, true)
  const place = r.text(promulgation, 'Place', `${H}/PromulgationInfo`, 'địa danh')
  const promulgationDate = r.date(
    promulgation,
    'PromulgationDate',
    `${H}/PromulgationInfo`,
    'ngày ban hành',
    true,
  )
  const typeNode = r.node(message, 'DocumentType', H, true)
  const typeCode = r.integer(typeNode, 'Type', `${H}/DocumentType`, 'mã loại văn bản', 0) ?? 0
  const typeName = r.text(typeNode, 'TypeName', `${H}/DocumentType`, 'tên loại văn bản')
  if (typeNode && !typeName && typeCode === 0) {
    r.problems.push(`Thiếu ${H}/DocumentType/TypeName hoặc Type (loại văn bản).`)
  }
  const subject = r.text(message, 'Subject', H, 'trích yếu', true)
  const content = r.text(message, 'Content', H, 'nội dung')
  const signerNode = r.node(message, 'SignerInfo', H, false)
  const signer = {
    competence: r.text(signerNode, 'Competence', `${H}/SignerInfo`, 'thẩm quyền ký'),
    position: r.text(signerNode, 'Position', `${H}/SignerInfo`, 'chức vụ người ký'),
    fullName: r.text(signerNode, 'FullName', `${H}/SignerInfo`, 'họ tên người ký'),
  }
  const dueDate = r.date(message, 'DueDate', H, 'hạn trả lời', false)
  const toPlaces = r.texts(r.node(message, 'ToPlaces', H, false), 'Place', `${H}/ToPlaces`)
  const other = r.node(message, 'OtherInfo', H, false)
  const O = `${H}/OtherInfo`
  const priority = r.integer(other, 'Priority', O, 'độ khẩn', 0) ?? 0
  const responseFor = r.nodes(message, 'ResponseFor', H).map((node) => ({
    organId: r.text(node, 'OrganId', `${H}/ResponseFor`, 'cơ quan ban hành văn bản được trả lời'),
    code: r.text(node, 'Code', `${H}/ResponseFor`, 'số, ký hiệu văn bản được trả lời'),
    promulgationDate:
      r.date(node, 'PromulgationDate', `${H}/ResponseFor`, 'ngày của văn bản được trả lời', false) ?? '',
    documentId: r.text(node, 'DocumentId', `${H}/ResponseFor`, 'mã văn bản được trả lời'),
  }))
  const document: EdxmlDocument = {
    from,
    to,
    codeNumber,
    codeNotation,
    place,
    promulgationDate: promulgationDate ?? '',
    type: { code: typeCode, name: typeName },
    subject,
    content,
    signer,
    dueDate,
    toPlaces,
    priority,
    sphereOfPromulgation: r.text(other, 'SphereOfPromulgation', O, 'phạm vi ban hành'),
    typerNotation: r.text(other, 'TyperNotation', O, 'ký hiệu người đánh máy'),
    promulgationAmount: r.integer(other, 'PromulgationAmount', O, 'số lượng bản phát hành', null),
    pageAmount: r.integer(other, 'PageAmount', O, 'số trang', null),
    appendixes: r.texts(r.node(other, 'Appendixes', O, false), 'Appendix', `${O}/Appendixes`),
    responseFor,
    steeringType: r.integer(message, 'SteeringType', H, 'loại chỉ đạo', 0) ?? 0,
    documentId: r.text(message, 'DocumentId', H, 'mã văn bản'),
  }
  if (!document.documentId && from.organId && promulgationDate && codeNumber && codeNotation) {
    document.documentId = edxmlDocumentId(from.organId, promulgationDate, codeNumber, codeNotation)
  }

  const business = readBusiness(r, header)
  // A recall carries no file; an update may add some; a new document or a replacement needs its file.
  const needsFiles = business.type === BusinessType.new || business.type === BusinessType.replace

  const body = r.node(envelope, 'edXMLBody', 'edXMLEnvelope', needsFiles)
  const manifest = r.node(body, 'edXMLManifest', 'edXMLBody', needsFiles)
  const references = r.nodes(manifest, 'Reference', 'edXMLManifest').map((node) => ({
    contentId: r
      .text(node, 'ContentId', 'edXMLManifest/Reference', 'mã tệp đính kèm', true)
      .replace(/^cid:/, ''),
    name: r.text(node, 'AttachmentName', 'edXMLManifest/Reference', 'tên tệp đính kèm', true),
  }))
  const encoded = r.nodes(
    r.node(edxml, 'AttachmentEncoded', 'edXML', false),
    'Attachment',
    'AttachmentEncoded',
  )
  if (needsFiles && references.length === 0 && encoded.length === 0) {
    r.problems.push(
      'Gói tin không có tệp đính kèm (edXMLManifest/Reference và AttachmentEncoded/Attachment).',
    )
  }
  const attachments: EdxmlPackage['attachments'] = []
  const seen = new Set<string>()
  for (const node of encoded) {
    const A = 'AttachmentEncoded/Attachment'
    const contentId = r.text(node, 'ContentId', A, 'mã tệp đính kèm', true).replace(/^cid:/, '')
    const name = r.text(node, 'AttachmentName', A, 'tên tệp đính kèm', true)
    const label = name || contentId
    const data = r
      .text(node, 'ContentTransferEncoded', A, `nội dung tệp "${label}"`, true)
      .replace(/\s+/g, '')
    if (contentId && seen.has(contentId)) r.problems.push(`Tệp đính kèm mã ${contentId} xuất hiện hai lần.`)
    seen.add(contentId)
    if (contentId && !references.some((ref) => ref.contentId === contentId)) {
      r.problems.push(`Tệp đính kèm "${label}" (mã ${contentId}) không có trong edXMLManifest.`)
    }
    if (data && (data.length % 4 !== 0 || !BASE64.test(data))) {
      r.problems.push(`Nội dung tệp đính kèm "${label}" không phải base64 hợp lệ.`)
      continue
    }
    const bytes = Buffer.from(data, 'base64')
    if (data && bytes.length === 0) r.problems.push(`Tệp đính kèm "${label}" trống.`)
    attachments.push({
      contentId,
      name,
      contentType: r.text(node, 'ContentType', A, 'kiểu tệp'),
      description: r.text(node, 'Description', A, 'mô tả tệp'),
      bytes,
    })
  }
  for (const ref of references) {
    if (ref.contentId && !seen.has(ref.contentId)) {
      r.problems.push(
        `Thiếu nội dung của tệp "${ref.name || ref.contentId}" (mã ${ref.contentId}) trong AttachmentEncoded.`,
      )
    }
  }
  return r.problems.length > 0
    ? { ok: false, problems: [...new Set(r.problems)] }
    : { ok: true, package: { document, attachments, business } }
}

/** TraceHeaderList/Bussiness: a new document when absent; a recall, update or replacement says why. */
function readBusiness(r: Reader, header: Tree | undefined): EdxmlBusiness {
  const trace = r.node(header, 'TraceHeaderList', 'edXMLHeader', false)
  const node = r.node(trace, 'Bussiness', 'TraceHeaderList', false)
  const B = 'Bussiness'
  const raw = r.text(node, 'BussinessDocType', B, 'loại nghiệp vụ')
  if (raw && !/^[0-3]$/.test(raw)) {
    r.problems.push(
      `${B}/BussinessDocType "${raw}" không hợp lệ: 0 văn bản mới, 1 thu hồi, 2 cập nhật, 3 thay thế.`,
    )
    return newBusiness()
  }
  const type = Number(raw || '0') as BusinessType
  const reason = r.text(node, 'BussinessDocReason', B, 'lý do')
  const replacements = r
    .nodes(r.node(node, 'ReplacementInfoList', B, false), 'ReplacementInfo', `${B}/ReplacementInfoList`)
    .map((info) => ({
      documentId: r.text(
        info,
        'DocumentId',
        `${B}/ReplacementInfoList/ReplacementInfo`,
        'mã văn bản bị thay thế',
        true,
      ),
      organIds: r.texts(
        r.node(info, 'OrganIdList', `${B}/ReplacementInfoList/ReplacementInfo`, false),
        'OrganId',
        `${B}/ReplacementInfoList/ReplacementInfo/OrganIdList`,
      ),
    }))
  if (type !== BusinessType.new && !reason) {
    r.problems.push(
      `Thiếu ${B}/BussinessDocReason: gói tin ${businessLabel[type].toLowerCase()} phải nêu lý do.`,
    )
  }
  if (type === BusinessType.replace && replacements.length === 0) {
    r.problems.push(
      `Gói tin thay thế thiếu ${B}/ReplacementInfoList/ReplacementInfo/DocumentId (văn bản bị thay thế).`,
    )
  }
  return {
    type,
    reason: reason || newBusiness().reason,
    documentId: r.text(node, 'DocumentId', B, 'mã văn bản'),
    replacements,
  }
}

/** A status message as read: about which document, from whom, what status, when. */
export type EdxmlStatus = {
  responseFor: EdxmlResponseFor
  from: EdxmlOrgan
  code: StatusCode
  description: string
  at: Date
  staff: { department: string; name: string; email: string }
}

/** yyyy/MM/dd HH:mm:ss (or dd/MM/yyyy HH:mm:ss) in Việt Nam time, as Timestamp carries it. */
export function parseEdxmlTimestamp(raw: string): Date | null {
  const match = /^(\S+)\s+(\d{2}):(\d{2}):(\d{2})$/.exec(raw.trim())
  const day = match ? parseEdxmlDate(match[1]!) : null
  if (!match || !day) return null
  const [hh, mm, ss] = [Number(match[2]), Number(match[3]), Number(match[4])]
  if (hh > 23 || mm > 59 || ss > 59) return null
  return new Date(Date.parse(`${day}T${match[2]}:${match[3]}:${match[4]}Z`) - VN_UTC_OFFSET_MINUTES * 60_000)
}

/** Reads a status message (vn-standards §3.2) with the same strictness as a package. */
export function parseStatusMessage(
  xml: string,
): { ok: true; status: EdxmlStatus } | { ok: false; problems: EnvelopeProblems } {
  const read = readTree(xml)
  if (!read.ok) return read
  const r = new Reader()
  const edxml = r.node(read.tree, 'edXML', '', true)
  const envelope = r.node(edxml, 'edXMLEnvelope', 'edXML', true)
  const header = r.node(envelope, 'edXMLHeader', 'edXMLEnvelope', true)
  const status = r.node(header, 'Status', 'edXMLHeader', true)
  if (!status) return { ok: false, problems: r.problems }
  const S = 'Status'
  const responseNode = r.node(status, 'ResponseFor', S, true)
  const R = `${S}/ResponseFor`
  const responseFor: EdxmlResponseFor = {
    organId: r.text(responseNode, 'OrganId', R, 'cơ quan ban hành văn bản', true),
    code: r.text(responseNode, 'Code', R, 'số, ký hiệu văn bản', true),
    promulgationDate: r.date(responseNode, 'PromulgationDate', R, 'ngày ban hành', true) ?? '',
    documentId: r.text(responseNode, 'DocumentId', R, 'mã văn bản', true),
  }
  if (responseFor.organId && !AGENCY_CODE.test(responseFor.organId)) {
    r.problems.push(
      `${R}/OrganId "${responseFor.organId}" không đúng mã định danh theo QCVN 102:2016 (dạng 000.00.00.H14).`,
    )
  }
  const from = r.organ(r.node(status, 'From', S, true), `${S}/From`)
  const code = r.text(status, 'StatusCode', S, 'mã trạng thái', true)
  if (code && !STATUS_CODES.includes(code as StatusCode)) {
    r.problems.push(`${S}/StatusCode "${code}" không hợp lệ: dùng 01–06, 13, 15 hoặc 16.`)
  }
  const rawAt = r.text(status, 'Timestamp', S, 'thời điểm', true)
  const at = rawAt ? parseEdxmlTimestamp(rawAt) : null
  if (rawAt && !at) {
    r.problems.push(`${S}/Timestamp "${rawAt}" không đúng định dạng yyyy/MM/dd HH:mm:ss.`)
  }
  const staff = r.node(status, 'StaffInfo', S, false)
  const result: EdxmlStatus = {
    responseFor,
    from,
    code: code as StatusCode,
    description: r.text(status, 'Description', S, 'mô tả'),
    at: at ?? new Date(0),
    staff: {
      department: r.text(staff, 'Department', `${S}/StaffInfo`, 'đơn vị'),
      name: r.text(staff, 'Staff', `${S}/StaffInfo`, 'cán bộ'),
      email: r.text(staff, 'Email', `${S}/StaffInfo`, 'thư điện tử'),
    },
  }
  return r.problems.length > 0
    ? { ok: false, problems: [...new Set(r.problems)] }
    : { ok: true, status: result }
}
