/**
 * The groups of QĐ 766/QĐ-TTg (23/6/2022), "Bộ chỉ số chỉ đạo, điều hành và đánh giá chất lượng phục vụ người
 * dân, doanh nghiệp", as far as /work/shared/reference/vn-standards.md §5 knows them. The five group maxima
 * (18/20/22/22 = 12 + 10/18, 100 in all) are confirmed (secondary sources). The formulas of the components and
 * how a group's points split among them are not, with few exceptions: each component says what is known, and
 * points are estimated only where one measured component carries a whole group's points.
 */

/** A share: numerator over denominator, and the percentage (one decimal) or null when nothing was counted. */
export type Ratio = { numerator: number; denominator: number; percent: number | null }

export function ratio(numerator: number, denominator: number): Ratio {
  return {
    numerator,
    denominator,
    percent: denominator > 0 ? Math.round((numerator / denominator) * 1000) / 10 : null,
  }
}

/** The shares the groups are computed from, for one unit's subtree and one period. */
export type Shares = {
  online: Ratio
  onTime: Ratio
  onlineProcedures: Ratio
  digitised: Ratio
  electronicResults: Ratio
  paidOnline: Ratio
  satisfaction: Ratio
}

export type Component = {
  key: string
  label: string
  formula: string
  /** False when the platform has no data for it yet; value and points are then null. */
  measured: boolean
  value: Ratio | null
  /** The component's share of the group's points, where a source names one. */
  maxPoints: number | null
  /** Estimated points (maxPoints × percent); null when maxPoints or the value is unknown. */
  points: number | null
  /** True only when the reference confirms both the formula and the points; none does yet. */
  confirmed: boolean
  note: string
}

export type Group = {
  /** 1, 2, 3, 4a, 4b, 5: the national dashboard shows group 4 as its two parts. */
  id: '1' | '2' | '3' | '4a' | '4b' | '5'
  group: 1 | 2 | 3 | 4 | 5
  /** The name of the group in the national portal's reporting API. */
  api: string
  label: string
  maxPoints: number
  /** The group maxima are confirmed (vn-standards §5 table, secondary sources). */
  maxConfirmed: boolean
  /** Estimated points of the group: only when every component is measured and carries known points. */
  points: number | null
  components: Component[]
}

export const QD766_NOTE =
  'Điểm tối đa của 5 nhóm (18/20/22/22 = 12 + 10/18) đã được xác nhận qua nguồn thứ cấp. Công thức chi tiết và ' +
  'cách chia điểm trong từng nhóm CHƯA được xác nhận: tỷ lệ dưới đây tính từ dữ liệu của nền tảng theo cách hiểu ' +
  'ghi ở từng thành phần, điểm chỉ là ước tính và cần đối chiếu với số liệu trên Cổng Dịch vụ công quốc gia.'

type Definition = Omit<Component, 'value' | 'points' | 'measured'> & { share: keyof Shares | null }

const DEFINITIONS: { group: Omit<Group, 'points' | 'components'>; components: Definition[] }[] = [
  {
    group: {
      id: '1',
      group: 1,
      api: 'transparency',
      label: 'Công khai, minh bạch',
      maxPoints: 18,
      maxConfirmed: true,
    },
    components: [
      {
        key: 'procedures-published',
        label: 'Tỷ lệ thủ tục hành chính được cập nhật, công khai đúng hạn',
        formula: 'TTHC công khai đúng hạn ÷ TTHC phải công khai',
        share: null,
        maxPoints: 4,
        confirmed: false,
        note: 'Chưa đo: danh mục thủ tục chưa ghi hạn và thời điểm công bố. 4/18 điểm theo một bản tóm tắt, chưa xác nhận.',
      },
      {
        key: 'national-sync',
        label: 'Đồng bộ hồ sơ lên Cổng Dịch vụ công quốc gia',
        formula: 'chưa rõ',
        share: null,
        maxPoints: null,
        confirmed: false,
        note: 'Chưa đo: nền tảng chưa kết nối đồng bộ với Cổng Dịch vụ công quốc gia.',
      },
      {
        key: 'progress-published',
        label: 'Công khai tiến độ giải quyết hồ sơ',
        formula: 'chưa rõ',
        share: null,
        maxPoints: null,
        confirmed: false,
        note: 'Chưa đo: chưa có công thức; tiến độ từng hồ sơ đã được công khai qua trang tra cứu.',
      },
    ],
  },
  {
    group: {
      id: '2',
      group: 2,
      api: 'dvc-progress-tree',
      label: 'Tiến độ, kết quả giải quyết',
      maxPoints: 20,
      maxConfirmed: true,
    },
    components: [
      {
        key: 'on-time',
        label: 'Tỷ lệ hồ sơ giải quyết đúng hạn',
        formula: '(hồ sơ trả kết quả trước hạn + đúng hạn) ÷ hồ sơ đã trả kết quả trong kỳ',
        share: 'onTime',
        maxPoints: 20,
        confirmed: false,
        note:
          'Công thức chưa xác nhận; một số triển khai công khai chia cho số hồ sơ tiếp nhận thay vì số hồ sơ đã giải ' +
          'quyết. Đúng hạn = trả kết quả trong ngày hẹn trả (theo giờ Việt Nam).',
      },
    ],
  },
  {
    group: {
      id: '3',
      group: 3,
      api: 'dossier-digitized',
      label: 'Số hóa hồ sơ',
      maxPoints: 22,
      maxConfirmed: true,
    },
    components: [
      {
        key: 'digitised-intake',
        label: 'Tỷ lệ hồ sơ được số hóa thành phần khi tiếp nhận',
        formula: 'hồ sơ nộp tại quầy có ít nhất một tệp số hóa ÷ hồ sơ tiếp nhận tại quầy',
        share: 'digitised',
        maxPoints: null,
        confirmed: false,
        note: 'Công thức và số điểm chưa xác nhận.',
      },
      {
        key: 'electronic-results',
        label: 'Tỷ lệ kết quả giải quyết được cấp bản điện tử',
        formula: 'hồ sơ có kết quả điện tử ÷ hồ sơ đã cấp kết quả trong kỳ',
        share: 'electronicResults',
        maxPoints: null,
        confirmed: false,
        note: 'Công thức và số điểm chưa xác nhận.',
      },
      {
        key: 'reuse',
        label: 'Tỷ lệ khai thác, tái sử dụng dữ liệu số hóa',
        formula: 'chưa rõ',
        share: null,
        maxPoints: null,
        confirmed: false,
        note: 'Chưa đo: nền tảng chưa ghi nhận việc tái sử dụng giấy tờ đã số hóa.',
      },
    ],
  },
  {
    group: {
      id: '4a',
      group: 4,
      api: 'provide-online-tree',
      label: 'Cung cấp dịch vụ công trực tuyến',
      maxPoints: 12,
      maxConfirmed: true,
    },
    components: [
      {
        key: 'online-procedures',
        label: 'Tỷ lệ thủ tục cung cấp dịch vụ công trực tuyến (toàn trình, một phần)',
        formula:
          'TTHC trực tuyến toàn trình hoặc một phần ÷ TTHC các đơn vị thực hiện (theo danh mục hiện hành)',
        share: 'onlineProcedures',
        maxPoints: null,
        confirmed: false,
        note:
          'Không có trong danh sách thành phần QĐ 766 của tài liệu tham chiếu; dùng theo tiêu chí 9 Điều 13 ' +
          'Thông tư 01/2018/TT-VPCP.',
      },
      {
        key: 'online-dossiers',
        label: 'Tỷ lệ hồ sơ nộp trực tuyến',
        formula: 'hồ sơ tiếp nhận trực tuyến ÷ hồ sơ tiếp nhận',
        share: 'online',
        maxPoints: null,
        confirmed: false,
        note: 'Công thức và số điểm chưa xác nhận.',
      },
      {
        key: 'procedures-with-online-dossiers',
        label: 'Tỷ lệ thủ tục có phát sinh hồ sơ trực tuyến',
        formula: 'TTHC có hồ sơ trực tuyến ÷ TTHC trực tuyến',
        share: null,
        maxPoints: null,
        confirmed: false,
        note: 'Chưa đo: bộ đếm theo ngày không giữ số hồ sơ theo từng thủ tục.',
      },
    ],
  },
  {
    group: {
      id: '4b',
      group: 4,
      api: 'formality-online-payment-tree',
      label: 'Thanh toán trực tuyến',
      maxPoints: 10,
      maxConfirmed: true,
    },
    components: [
      {
        key: 'paid-online',
        label: 'Tỷ lệ hồ sơ thanh toán trực tuyến',
        formula: 'hồ sơ có phí đã thanh toán trực tuyến ÷ hồ sơ có phí (tiếp nhận trong kỳ)',
        share: 'paidOnline',
        maxPoints: 10,
        confirmed: false,
        note: 'Công thức theo bản tóm tắt, chưa xác nhận; 10 điểm là toàn bộ phần thanh toán trực tuyến của nhóm 4.',
      },
    ],
  },
  {
    group: {
      id: '5',
      group: 5,
      api: 'handling-satisfaction',
      label: 'Mức độ hài lòng',
      maxPoints: 18,
      maxConfirmed: true,
    },
    components: [
      {
        key: 'feedback-on-time',
        label: 'Tỷ lệ phản ánh, kiến nghị được xử lý đúng hạn',
        formula: 'PAKN xử lý đúng hạn và trước hạn ÷ tổng PAKN thuộc thẩm quyền',
        share: null,
        maxPoints: null,
        confirmed: false,
        note: 'Công thức đã xác nhận (nguồn thứ cấp), số điểm chưa. Chưa đo: nền tảng chưa có phân hệ PAKN.',
      },
      {
        key: 'feedback-satisfaction',
        label: 'Tỷ lệ hài lòng trong xử lý phản ánh, kiến nghị',
        formula: '(tổng PAKN − PAKN bị phản hồi không hài lòng hoặc xử lý quá hạn) ÷ tổng PAKN',
        share: null,
        maxPoints: null,
        confirmed: false,
        note: 'Công thức đã xác nhận (nguồn thứ cấp), số điểm chưa. Chưa đo: nền tảng chưa có phân hệ PAKN.',
      },
      {
        key: 'dossier-satisfaction',
        label: 'Tỷ lệ hài lòng trong tiếp nhận, giải quyết thủ tục hành chính',
        formula: 'tổng điểm đánh giá ÷ tổng điểm tối đa (TT 01/2018 Điều 13, mỗi tiêu chí 0–2)',
        share: 'satisfaction',
        maxPoints: 6,
        confirmed: false,
        note: 'Tối đa 6/18 điểm khi đạt mục tiêu Nghị quyết 76/NQ-CP (nguồn thứ cấp); công thức trong nguồn bị cắt, chưa xác nhận.',
      },
    ],
  },
]

/** The groups with the shares of one unit and period; unmeasured parts are reported as such, never as zero. */
export function scoreQd766(shares: Shares): Group[] {
  return DEFINITIONS.map(({ group, components }) => {
    const scored: Component[] = components.map(({ share, ...definition }) => {
      const value = share ? shares[share] : null
      const points =
        definition.maxPoints !== null && value?.percent != null
          ? Math.round(definition.maxPoints * value.percent) / 100
          : null
      return { ...definition, measured: share !== null, value, points }
    })
    const whole =
      scored.every((c) => c.points !== null) &&
      scored.reduce((sum, c) => sum + (c.maxPoints ?? 0), 0) === group.maxPoints
    const points = whole ? Math.round(scored.reduce((sum, c) => sum + c.points!, 0) * 100) / 100 : null
    return { ...group, points, components: scored }
  })
}
