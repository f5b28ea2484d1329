import { describe, expect, it } from 'vitest'
import { callsFor, interpretAnswer, portalDate, type DossierStatusEvent } from './national-sync.messages.js'

const event: DossierStatusEvent = {
  code: '001.90.00.H14-261127-0001',
  procedureCode: '1.004873',
  procedureName: 'Cấp Giấy xác nhận tình trạng hôn nhân',
  unitId: '00000000-0000-4000-8000-000000000001',
  unitCode: '001.90.00.H14',
  status: 'received',
  nationalStatus: 2,
  action: 'receive',
  at: '2026-11-27T08:30:05.123Z',
  channel: 'counter',
  receivedAt: '2026-11-27T08:30:05.123Z',
  dueAt: '2026-12-01T10:00:00.000Z',
  finishedAt: null,
  feeAmount: 0,
  files: 2,
  note: null,
}
const context = { unitCode: 'H14.TP01', unitName: 'UBND phường Thục Phán', fieldName: 'Hộ tịch' }

describe('national portal messages', () => {
  it('writes dates as yyyyMMddHHmmss in Vietnam time, crossing midnight and the year', () => {
    expect(portalDate('2026-11-27T08:30:05.123Z')).toBe('20261127153005')
    expect(portalDate('2026-12-31T17:00:00Z')).toBe('20270101000000')
    expect(portalDate(null)).toBe('')
  })

  it('synchronises a dossier the portal does not know, then sends progress, and re-synchronises when it ends', () => {
    const [first, ...rest] = callsFor(event, { applicantPhone: '0912000001' }, context, false)
    expect(rest).toEqual([])
    expect(first!.service).toBe('DongBoHoSoMC')
    expect(first!.isUpdating).toBe('False')
    expect(first!.data[0]).toMatchObject({
      MaHoSo: event.code,
      KenhThucHien: 1,
      TrangThaiHoSo: 2,
      NgayTiepNhan: '20261127153005',
      NgayHenTra: '20261201170000',
      NgayTra: '',
      DonViXuLy: 'H14.TP01',
      SoDienThoai: '0912000001',
      TenLinhVuc: 'Hộ tịch',
    })

    const progress = callsFor(
      { ...event, action: 'forward', status: 'in_progress', nationalStatus: 4 },
      {},
      context,
      true,
    )
    expect(progress.map((c) => c.service)).toEqual(['CapNhatTienDoHoSoMC'])
    expect(progress[0]!.data[0]).toEqual({
      MaHoSo: event.code,
      NguoiXuLy: '',
      ChucDanh: '',
      ThoiDiemXuLy: '20261127153005',
      PhongBanXuLy: 'UBND phường Thục Phán',
      NoiDungXuLy: 'Chuyển xử lý',
      TrangThai: 4,
      NgayBatDau: '20261127153005',
      NgayKetThucTheoQuyDinh: '20261201170000',
    })

    const returned = callsFor(
      {
        ...event,
        action: 'return_result',
        status: 'returned',
        nationalStatus: 10,
        finishedAt: '2026-11-30T02:00:00Z',
      },
      {},
      context,
      true,
    )
    expect(returned.map((c) => [c.service, c.isUpdating])).toEqual([
      ['CapNhatTienDoHoSoMC', undefined],
      ['DongBoHoSoMC', 'True'],
    ])
    expect(returned[1]!.data[0]).toMatchObject({
      TrangThaiHoSo: 10,
      NgayTra: '20261130090000',
      NgayKetThucXuLy: '20261130090000',
    })
  })

  describe("the portal's answers", () => {
    const read = (status: number, body: unknown, retryCodes: string[] = []) =>
      interpretAnswer(
        'DongBoHoSoMC',
        status,
        typeof body === 'string' ? body : JSON.stringify(body),
        retryCodes,
      )

    it('takes result code 0, however it is written, as success and keeps the message', () => {
      expect(read(200, { error_code: '0', message: 'Thành công' })).toEqual({
        ok: true,
        code: '0',
        message: 'Thành công',
      })
      expect(read(200, { error_code: '00' })).toEqual({ ok: true, code: '00', message: null })
      expect(read(200, { error_code: 0, error_message: 'OK' })).toEqual({
        ok: true,
        code: '0',
        message: 'OK',
      })
    })

    it('treats any other code as a refusal with the reason, unless the code is declared temporary', () => {
      expect(read(200, { error_code: '500', message: 'Sai định dạng NgayHenTra' })).toEqual({
        ok: false,
        retry: false,
        code: '500',
        message: 'Cổng DVC quốc gia từ chối DongBoHoSoMC (mã 500): Sai định dạng NgayHenTra',
      })
      expect(read(200, { error_code: -1 })).toEqual({
        ok: false,
        retry: false,
        code: '-1',
        message: 'Cổng DVC quốc gia từ chối DongBoHoSoMC (mã -1): không kèm lý do',
      })
      expect(read(200, { error_code: 99, message: 'Hệ thống\nbận' }, ['099'])).toEqual({
        ok: false,
        retry: true,
        code: '99',
        message: 'Cổng DVC quốc gia tạm chưa nhận DongBoHoSoMC (mã 99): Hệ thống bận',
      })
    })

    it('fails, to be retried, an answer that is not JSON, not an object, empty or without a code', () => {
      expect(read(200, '<html><title>Bảo trì</title></html>')).toMatchObject({
        ok: false,
        retry: true,
        message:
          'Cổng DVC quốc gia trả lời DongBoHoSoMC không phải JSON: "<html><title>Bảo trì</title></html>"',
      })
      expect(read(200, '')).toMatchObject({
        retry: true,
        message: 'Cổng DVC quốc gia trả lời DongBoHoSoMC rỗng (không có mã kết quả)',
      })
      expect(read(200, [1, 2])).toMatchObject({
        ok: false,
        retry: true,
        message:
          'Cổng DVC quốc gia trả lời DongBoHoSoMC không đúng dạng (cần một đối tượng JSON có error_code): "[1,2]"',
      })
      expect(read(200, { ok: true, message: 'Đã nhận' })).toEqual({
        ok: false,
        retry: true,
        code: null,
        message: 'Cổng DVC quốc gia trả lời DongBoHoSoMC không có mã kết quả (error_code): Đã nhận',
      })
    })

    it('retries HTTP errors, but takes 400, 413 and 422 as a refusal of the payload', () => {
      expect(read(503, 'Service Unavailable')).toEqual({
        ok: false,
        retry: true,
        code: null,
        message: 'Cổng DVC quốc gia trả về HTTP 503',
      })
      expect(read(422, { error_code: '422', message: 'MaHoSo đã tồn tại' })).toEqual({
        ok: false,
        retry: false,
        code: '422',
        message: 'Cổng DVC quốc gia từ chối DongBoHoSoMC: HTTP 422: MaHoSo đã tồn tại',
      })
    })

    it('caps a long message', () => {
      const answer = read(200, { error_code: '1', message: 'x'.repeat(2000) })
      expect(answer.ok).toBe(false)
      expect((answer.message ?? '').length).toBeLessThan(600)
    })
  })
})
