/**
 * The national public-service portal's dossier synchronisation as researched (vn-standards §1.4): JSON envelopes
 * `{ service, isUpdating, data: [...] }`, Vietnamese field names, status codes 1–10, dates `yyyyMMddHHmmss` in
 * Asia/Ho_Chi_Minh. The reference marks the envelope as de-facto (seen in several public integrations), not as a
 * published specification: the shapes are data here, in one file, so a confirmed specification changes only this.
 */

export const NationalService = {
  /** Dossier synchronisation (on receipt; again with isUpdating when dates or the outcome change). */
  syncDossier: 'DongBoHoSoMC',
  /** Progress: one processing step with its status. */
  progress: 'CapNhatTienDoHoSoMC',
} as const
export type NationalService = (typeof NationalService)[keyof typeof NationalService]

/** TrangThaiHoSo, as the national portal lists it. */
export const NATIONAL_STATUS_LABELS: Record<number, string> = {
  1: 'Mới đăng ký',
  2: 'Được tiếp nhận',
  3: 'Không được tiếp nhận',
  4: 'Đang xử lý',
  5: 'Yêu cầu bổ sung giấy tờ',
  6: 'Yêu cầu thực hiện nghĩa vụ tài chính',
  7: 'Công dân yêu cầu rút hồ sơ',
  8: 'Dừng xử lý',
  9: 'Đã xử lý xong',
  10: 'Đã trả kết quả',
}

/** KenhThucHien: 1 trực tiếp, 2 trực tuyến, 3 qua bưu chính công ích. */
export const CHANNEL_CODES = { counter: 1, online: 2, post: 3 } as const

/** What each action of the one-stop workflow is called in a progress record (NoiDungXuLy). */
const ACTION_TEXT: Record<string, string> = {
  submit: 'Nộp hồ sơ trực tuyến',
  receive: 'Tiếp nhận hồ sơ',
  forward: 'Chuyển xử lý',
  send_back: 'Trả lại bước trước',
  request_supplement: 'Yêu cầu bổ sung, hoàn thiện hồ sơ',
  provide_supplement: 'Nộp bổ sung hồ sơ',
  approve: 'Phê duyệt kết quả',
  reject: 'Từ chối, dừng xử lý hồ sơ',
  return_result: 'Trả kết quả',
  withdraw: 'Rút hồ sơ theo yêu cầu của công dân',
  extend: 'Gia hạn thời gian giải quyết, gửi phiếu xin lỗi',
}

/** The public part of a `dossier.status_changed` event (the pub/sub platform topic). */
export type DossierStatusEvent = {
  code: string
  procedureCode: string
  procedureName: string
  unitId: string
  unitCode: string | null
  status: string
  nationalStatus: number
  action: string
  at: string
  channel: 'online' | 'counter' | 'post'
  receivedAt: string
  dueAt: string
  finishedAt: string | null
  feeAmount: number
  files: number
  note: string | null
}

/** The internal part, never sent to outside subscribers: the applicant's identity and contact details. */
export type DossierStatusInternal = {
  applicantName?: string | null
  applicantIdNumber?: string | null
  applicantEmail?: string | null
  applicantPhone?: string | null
}

export type Envelope = {
  service: NationalService
  isUpdating?: 'True' | 'False'
  data: Record<string, unknown>[]
}

/** `yyyyMMddHHmmss` in Asia/Ho_Chi_Minh (UTC+7 all year), or '' for no date. */
export function portalDate(iso: string | null | undefined): string {
  if (!iso) return ''
  const local = new Date(new Date(iso).getTime() + 7 * 3600_000)
  const two = (n: number) => String(n).padStart(2, '0')
  return (
    String(local.getUTCFullYear()) +
    two(local.getUTCMonth() + 1) +
    two(local.getUTCDate()) +
    two(local.getUTCHours()) +
    two(local.getUTCMinutes()) +
    two(local.getUTCSeconds())
  )
}

export type MessageContext = {
  /** The unit as the portal knows it (mapped code) and its name. */
  unitCode: string
  unitName: string
  /** The procedure's field (lĩnh vực), from the catalogue. */
  fieldName: string
}

/** DongBoHoSoMC: the dossier as it stands. */
export function dossierSync(
  event: DossierStatusEvent,
  internal: DossierStatusInternal,
  context: MessageContext,
  isUpdating: boolean,
): Envelope {
  const returned = event.nationalStatus === 10
  return {
    service: NationalService.syncDossier,
    isUpdating: isUpdating ? 'True' : 'False',
    data: [
      {
        MaHoSo: event.code,
        MaTTHC: event.procedureCode,
        TenTTHC: event.procedureName,
        MaLinhVuc: '',
        TenLinhVuc: context.fieldName,
        KenhThucHien: CHANNEL_CODES[event.channel],
        ChuHoSo: internal.applicantName ?? '',
        LoaiDoiTuong: 0,
        MaDoiTuong: internal.applicantIdNumber ?? '',
        ThongTinKhac: '',
        Email: internal.applicantEmail ?? '',
        Fax: '',
        SoDienThoai: internal.applicantPhone ?? '',
        TrichYeuHoSo: event.procedureName,
        NgayTiepNhan: portalDate(event.receivedAt),
        NgayHenTra: portalDate(event.dueAt),
        TrangThaiHoSo: event.nationalStatus,
        NgayTra: returned ? portalDate(event.finishedAt) : '',
        ThongTinTra: '',
        HinhThuc: 0,
        NgayKetThucXuLy: portalDate(event.finishedAt),
        DonViXuLy: context.unitCode,
        GhiChu: event.note ?? '',
        TaiLieuNop: [],
        DanhSachLePhi:
          event.feeAmount > 0
            ? [
                {
                  TenPhiLePhi: 'Phí, lệ phí',
                  MaPhiLePhi: '',
                  HinhThucThu: 1,
                  Gia: event.feeAmount,
                  LoaiPhiLePhi: 0,
                },
              ]
            : [],
        DanhSachHoSoBoSung: [],
        DanhSachGiayToKetQua: [],
      },
    ],
  }
}

/** CapNhatTienDoHoSoMC: the step this event records. */
export function progressUpdate(event: DossierStatusEvent, context: MessageContext): Envelope {
  const action = ACTION_TEXT[event.action] ?? event.action
  return {
    service: NationalService.progress,
    data: [
      {
        MaHoSo: event.code,
        NguoiXuLy: '',
        ChucDanh: '',
        ThoiDiemXuLy: portalDate(event.at),
        PhongBanXuLy: context.unitName,
        NoiDungXuLy: event.note ? `${action}: ${event.note}` : action,
        TrangThai: event.nationalStatus,
        NgayBatDau: portalDate(event.at),
        NgayKetThucTheoQuyDinh: portalDate(event.dueAt),
      },
    ],
  }
}

/**
 * The calls one event turns into: the first the portal hears of a dossier is a full synchronisation; after
 * that each status change is a progress record, followed by a re-synchronisation when the appointment moved
 * (an extension) or the dossier ended (return date, end of processing).
 */
export function callsFor(
  event: DossierStatusEvent,
  internal: DossierStatusInternal,
  context: MessageContext,
  known: boolean,
): Envelope[] {
  if (!known) return [dossierSync(event, internal, context, false)]
  const calls = [progressUpdate(event, context)]
  if (event.action === 'extend' || event.finishedAt) calls.push(dossierSync(event, internal, context, true))
  return calls
}

/**
 * How the portal answered one call. `retry`: sending it again later may succeed (the portal is busy, down, or
 * answered something we cannot read); otherwise the portal refused this payload and sending it again cannot help.
 */
export type PortalAnswer =
  | { ok: true; code: string; message: string | null }
  | { ok: false; retry: boolean; code: string | null; message: string }

/**
 * The answer's shape is not in the reference. We read the one the public OpenCPS integration reads
 * (VietOpenCPS/opencps-v2 `DVCQGIntegrationActionImpl`): a JSON object whose `error_code` is 0 (also written "0"
 * or "00") on success; its text is taken from `message`, else `error_message`. Keeping it here keeps a confirmed
 * specification to this one place.
 */
export const ANSWER_FIELDS = { code: 'error_code', message: ['message', 'error_message'] } as const
const SUCCESS_CODE = '0'
/** HTTP statuses that say the payload itself is wrong; other failures are retried. */
const REFUSED_HTTP = new Set([400, 413, 422])
const MAX_TEXT = 500

/** Numeric codes compare as numbers ("00" is 0), others as text. */
export function sameCode(a: string, b: string): boolean {
  return /^-?\d+$/.test(a) && /^-?\d+$/.test(b) ? Number(a) === Number(b) : a === b
}

/** Text from the portal made fit for a log line: control characters out, spaces collapsed, length capped. */
function clean(text: string): string {
  const flat = text.replace(/[\p{Cc}\s]+/gu, ' ').trim()
  return flat.length > MAX_TEXT ? `${flat.slice(0, MAX_TEXT)}…` : flat
}

/** The body as a JSON object; `null` when it is JSON of another kind (array, text, number), undefined when not JSON. */
function parseObject(body: string): Record<string, unknown> | null | undefined {
  let value: unknown
  try {
    value = JSON.parse(body)
  } catch {
    return undefined
  }
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null
}

function scalar(value: unknown): string | null {
  if (typeof value === 'string') return value.trim() === '' ? null : clean(value)
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  return null
}

function messageOf(answer: Record<string, unknown> | null | undefined): string | null {
  for (const field of ANSWER_FIELDS.message) {
    const text = scalar(answer?.[field])
    if (text !== null) return text
  }
  return null
}

/**
 * Reads the portal's answer to one call: its HTTP status, then (on 2xx) its body. `retryCodes` are the result
 * codes an operator declared temporary (NATIONAL_PORTAL_RETRY_CODES); any other non-zero code is a refusal.
 */
export function interpretAnswer(
  service: string,
  status: number,
  body: string,
  retryCodes: readonly string[],
): PortalAnswer {
  const answer = parseObject(body)
  const message = messageOf(answer)
  if (status < 200 || status > 299) {
    const code = scalar(answer?.[ANSWER_FIELDS.code])
    const refused = REFUSED_HTTP.has(status)
    const text = `${refused ? `Cổng DVC quốc gia từ chối ${service}: ` : 'Cổng DVC quốc gia trả về '}HTTP ${status}`
    return { ok: false, retry: !refused, code, message: message ? `${text}: ${message}` : text }
  }
  if (!answer) {
    const snippet = clean(body).slice(0, 120)
    return {
      ok: false,
      retry: true,
      code: null,
      message: !snippet
        ? `Cổng DVC quốc gia trả lời ${service} rỗng (không có mã kết quả)`
        : answer === null
          ? `Cổng DVC quốc gia trả lời ${service} không đúng dạng (cần một đối tượng JSON có ${ANSWER_FIELDS.code}): "${snippet}"`
          : `Cổng DVC quốc gia trả lời ${service} không phải JSON: "${snippet}"`,
    }
  }
  const code = scalar(answer[ANSWER_FIELDS.code])
  if (code === null) {
    return {
      ok: false,
      retry: true,
      code: null,
      message: `Cổng DVC quốc gia trả lời ${service} không có mã kết quả (${ANSWER_FIELDS.code})${message ? `: ${message}` : ''}`,
    }
  }
  if (sameCode(code, SUCCESS_CODE)) return { ok: true, code, message }
  const reason = message ?? 'không kèm lý do'
  if (retryCodes.some((c) => sameCode(c, code))) {
    return {
      ok: false,
      retry: true,
      code,
      message: `Cổng DVC quốc gia tạm chưa nhận ${service} (mã ${code}): ${reason}`,
    }
  }
  return {
    ok: false,
    retry: false,
    code,
    message: `Cổng DVC quốc gia từ chối ${service} (mã ${code}): ${reason}`,
  }
}
