import { existsSync } from 'node:fs'
import { parseArgs } from 'node:util'
import type { ModuleDeps } from '../../platform/module.js'
import { SigningKeys } from '../../platform/signing/index.js'
import { ArchiveError } from './lgsp-log.archive.js'
import { createMessageLogService, parseTime } from './lgsp-log.service.js'

export const LGSP_LOG_USAGE = `  lgsp log verify                        kiểm tra chuỗi băm và chữ ký lô của nhật ký trao đổi LGSP
  lgsp log archive --before NGÀY --out TỆP   lưu các lô ký trước NGÀY (2026-01-01) vào tệp có ký số,
                                         kiểm tra tệp rồi mới xóa các bản ghi đó khỏi cơ sở dữ liệu
  lgsp log verify-archive TỆP            kiểm tra một tệp lưu trữ nhật ký trao đổi`

type Output = { out: (line: string) => void; err: (line: string) => void }

/** `lgsp log …`; returns the exit code (0 ok, 1 the log or file does not verify, 2 bad usage). */
export async function runMessageLogCommand(
  args: string[],
  deps: ModuleDeps,
  { out, err }: Output = { out: console.log, err: console.error },
): Promise<number> {
  const { config } = deps
  const signing = new SigningKeys({
    dir: config.signingDir,
    passphrase: config.signingPassword,
    generateTestCertificates: config.signingTestCertificates,
    clock: deps.clock,
  })
  const log = createMessageLogService({ ...deps, signing })
  const [action, ...rest] = args

  if (action === 'verify' && rest.length === 0) {
    const result = await log.verify()
    if (result.chainError) {
      err(
        `Cảnh báo: ${result.pending} bản ghi đang chờ chưa nối chuỗi được (${result.chainError}); ` +
          'các bản ghi này chưa được bảo vệ bởi chuỗi băm.',
      )
    }
    if (result.ok) {
      out(
        `Nhật ký trao đổi LGSP toàn vẹn: ${result.entries} bản ghi trong cơ sở dữ liệu, ` +
          `${result.archivedEntries} bản ghi đã lưu trữ, ${result.batches} lô có chữ ký hợp lệ.`,
      )
      out(`Bản ghi cuối số ${result.headSeq}, mã băm ${result.headHash}`)
      return 0
    }
    err(
      `Nhật ký trao đổi LGSP bị phá vỡ${result.seq !== null ? ` tại bản ghi số ${result.seq}` : ''}` +
        `${result.batchNo !== null ? ` (lô số ${result.batchNo})` : ''}: ${result.reason}. ` +
        `${result.entries} bản ghi đầu còn nguyên vẹn.`,
    )
    return 1
  }

  if (action === 'archive') {
    let values: { before?: string; out?: string }
    try {
      ;({ values } = parseArgs({
        args: rest,
        options: { before: { type: 'string' }, out: { type: 'string' } },
      }))
    } catch (error) {
      err(`${(error as Error).message}\nCách dùng / usage:\n${LGSP_LOG_USAGE}`)
      return 2
    }
    const before = values.before ? parseTime(values.before, false) : null
    if (!before) {
      err(
        'Thiếu hoặc sai --before: cần một ngày (2026-01-01, tính theo giờ Việt Nam) hoặc thời điểm ISO 8601.',
      )
      return 2
    }
    if (!values.out) {
      err('Thiếu --out: đường dẫn tệp lưu trữ cần ghi.')
      return 2
    }
    if (existsSync(values.out)) {
      err(`Tệp ${values.out} đã tồn tại; chọn tên khác (không ghi đè tệp lưu trữ).`)
      return 2
    }
    try {
      const result = await log.archive({ before, out: values.out })
      if (!result.archived) {
        out(result.reason)
        return 0
      }
      out(
        `Đã lưu ${result.entries} bản ghi (số ${result.firstSeq}–${result.lastSeq}, lô ${result.firstBatch}–${result.lastBatch}) ` +
          `vào ${result.file}, tệp đã được ký và kiểm tra; các bản ghi này đã được xóa khỏi cơ sở dữ liệu.`,
      )
      out(`SHA-256 của tệp: ${result.fileSha256}`)
      return 0
    } catch (error) {
      if (error instanceof ArchiveError) {
        err(error.message)
        return 1
      }
      throw error
    }
  }

  if (action === 'verify-archive' && rest.length === 1) {
    const file = rest[0]!
    if (!existsSync(file)) {
      err(`Không tìm thấy tệp ${file}.`)
      return 2
    }
    const result = await log.verifyArchive(file)
    if (result.ok) {
      out(
        `Tệp lưu trữ hợp lệ: ${result.entries} bản ghi (số ${result.firstSeq}–${result.lastSeq}, ` +
          `lô ${result.firstBatch}–${result.lastBatch}), chữ ký của tệp và của từng lô đúng.`,
      )
      out(`Mã băm cuối ${result.lastHash}; SHA-256 của tệp ${result.fileSha256}`)
      out(
        result.recorded
          ? 'Cơ sở dữ liệu này đã ghi nhận lần lưu trữ ứng với tệp.'
          : 'Cơ sở dữ liệu này không có bản ghi về lần lưu trữ ứng với tệp (tệp của cài đặt khác hoặc bản sao).',
      )
      return 0
    }
    err(`Tệp lưu trữ không hợp lệ tại dòng ${result.line}: ${result.reason}.`)
    return 1
  }

  err(`Cách dùng / usage:\n${LGSP_LOG_USAGE}`)
  return 2
}
