import type { Insertable } from 'kysely'
import type { Queryable } from '../../platform/db/database.js'
import { tablesOf } from '../../platform/db/tables.js'
import type { FieldErrors } from '../../platform/http/errors.js'
import type { DossierTables } from './dossiers.tables.js'

const t = (q: Queryable) => tablesOf<DossierTables>(q)

/**
 * The criteria of TT 01/2018/TT-VPCP Điều 13 that the applicant scores for each dossier (Điều 14: 1, 2, 3, 4, 6
 * and 7; criteria 5, 8 and 9 are scored per unit from the system's data). Each answer is worth 2, 1 or 0.
 */
export const RATING_CRITERIA = [
  {
    no: '1',
    label: 'Tổng thời gian giải quyết hồ sơ so với thời gian theo quy định',
    options: ['Sớm hơn quy định', 'Đúng quy định', 'Trễ hơn quy định'],
  },
  {
    no: '2',
    label: 'Thời gian thực hiện của từng cơ quan, đơn vị tham gia giải quyết',
    options: ['Tất cả đúng hoặc sớm hơn quy định', 'Có nơi trễ nhưng tổng thời gian không trễ', 'Trễ hạn'],
  },
  {
    no: '3',
    label: 'Số lần phải liên hệ với nơi tiếp nhận để hoàn thiện hồ sơ',
    options: ['Không phải liên hệ thêm', 'Một lần', 'Nhiều hơn một lần (không do lỗi của người nộp)'],
  },
  {
    no: '4',
    label: 'Số cơ quan, đơn vị phải liên hệ để hoàn thiện hồ sơ',
    options: ['Chỉ Bộ phận Một cửa', 'Thêm một cơ quan, đơn vị', 'Nhiều hơn một cơ quan, đơn vị'],
  },
  {
    no: '6',
    label: 'Công khai thủ tục hành chính',
    options: [
      'Đầy đủ, đúng quy định (niêm yết và trên Cổng)',
      'Công khai nhưng không đầy đủ',
      'Không công khai',
    ],
  },
  {
    no: '7',
    label: 'Thái độ của cán bộ, công chức khi hướng dẫn, tiếp nhận, giải quyết hồ sơ',
    options: ['Lịch sự, tận tình', 'Bình thường', 'Gây phiền hà, sách nhiễu'],
  },
] as const

/** Reads `c1`…`c7` (2, 1 or 0 each) and an optional comment of at most 1000 characters. */
export function parseRating(input: Record<string, unknown>) {
  const scores: Record<string, 0 | 1 | 2> = {}
  const errors: FieldErrors = {}
  for (const criterion of RATING_CRITERIA) {
    const raw = input[`c${criterion.no}`]
    const value = typeof raw === 'number' ? raw : typeof raw === 'string' && raw !== '' ? Number(raw) : NaN
    if (value === 0 || value === 1 || value === 2) scores[criterion.no] = value
    else errors[`c${criterion.no}`] = `Chọn một mức cho: ${criterion.label}.`
  }
  const raw = typeof input.comment === 'string' ? input.comment.normalize('NFC').trim() : ''
  if (raw.length > 1000) errors.comment = 'Ý kiến tối đa 1000 ký tự.'
  return { scores, comment: raw || null, errors }
}

export function insertRating(q: Queryable, values: Insertable<DossierTables['dossier_ratings']>) {
  return t(q).insertInto('dossier_ratings').values(values).execute()
}

export function findRating(q: Queryable, dossierId: string) {
  return t(q).selectFrom('dossier_ratings').selectAll().where('dossier_id', '=', dossierId).executeTakeFirst()
}
