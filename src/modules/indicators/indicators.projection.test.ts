import { describe, expect, it } from 'vitest'
import {
  project,
  timeliness,
  type DossierState,
  type IndicatorEvent,
  type Projected,
} from './indicators.projection.js'
import { wholeMonths } from './indicators.repository.js'

const UNIT = '11111111-1111-4111-8111-111111111111'
const CODE = '001.90.00.H14-261127-0001'
let seq = 0

function status(
  overrides: Partial<Extract<IndicatorEvent, { topic: 'dossier.status_changed' }>['payload']> = {},
): IndicatorEvent {
  return {
    id: ++seq,
    seq,
    topic: 'dossier.status_changed',
    createdAt: new Date(),
    payload: {
      code: CODE,
      procedureCode: '1.004873',
      unitId: UNIT,
      status: 'received',
      nationalStatus: 2,
      action: 'receive',
      at: '2026-11-27T02:00:00.000Z',
      channel: 'counter',
      receivedAt: '2026-11-27T02:00:00.000Z',
      dueAt: '2026-12-02T10:00:00.000Z',
      finishedAt: null,
      feeAmount: 0,
      files: 0,
      applicantUserId: null,
      applicantName: 'Nguyễn Văn An',
      applicantIdNumber: null,
      applicantEmail: null,
      applicantPhone: null,
      procedureName: 'Cấp Giấy xác nhận tình trạng hôn nhân',
      note: null,
      ...overrides,
    },
  }
}

function feePaid(online: boolean, at = '2026-11-27T03:00:00.000Z'): IndicatorEvent {
  return {
    id: ++seq,
    seq,
    topic: 'dossier.fee_paid',
    createdAt: new Date(),
    payload: { code: CODE, unitId: UNIT, amount: 15000, online, reference: 'BL-0001', at },
  }
}

function result(electronic: boolean, at: string): IndicatorEvent {
  return {
    id: ++seq,
    seq,
    topic: 'dossier.result_issued',
    createdAt: new Date(),
    payload: { code: CODE, procedureCode: '1.004873', unitId: UNIT, electronic, signed: electronic, at },
  }
}

function rated(total: number, at: string): IndicatorEvent {
  return {
    id: ++seq,
    seq,
    topic: 'dossier.rated',
    createdAt: new Date(),
    payload: {
      code: CODE,
      procedureCode: '1.004873',
      unitId: UNIT,
      scores: { '1': 2, '3': 1, '7': 2 },
      total,
      max: 6,
      at,
    },
  }
}

/** Applies events in order and returns the final state with every counter move, as "counter@day+by". */
function run(events: IndicatorEvent[]) {
  let state: DossierState | undefined
  const moves: string[] = []
  for (const event of events) {
    const projected: Projected | null = project(state, event)
    if (!projected) continue
    state = projected.state
    moves.push(...projected.counters.map((d) => `${d.counter}@${d.day}+${d.by}`))
  }
  return { state: state!, moves }
}

describe('timeliness', () => {
  it('compares local days: any time on the due day is on time, a minute past local midnight is late', () => {
    const due = new Date('2026-12-02T10:00:00Z') // 17:00 on 2/12 in Việt Nam
    expect(timeliness(new Date('2026-12-01T16:59:00Z'), due)).toBe('early') // 23:59 on 1/12
    expect(timeliness(new Date('2026-12-01T17:00:00Z'), due)).toBe('on_time') // 00:00 on 2/12
    expect(timeliness(new Date('2026-12-02T16:59:00Z'), due)).toBe('on_time') // 23:59 on 2/12
    expect(timeliness(new Date('2026-12-02T17:01:00Z'), due)).toBe('late') // 00:01 on 3/12
  })
})

describe('wholeMonths', () => {
  it('finds the months lying wholly inside a period, or none', () => {
    expect(wholeMonths('2026-01-01', '2026-12-31')).toEqual({ fullFrom: '2026-01-01', fullTo: '2027-01-01' })
    expect(wholeMonths('2025-12-15', '2026-03-30')).toEqual({ fullFrom: '2026-01-01', fullTo: '2026-03-01' })
    expect(wholeMonths('2026-02-01', '2026-02-28')).toEqual({ fullFrom: '2026-02-01', fullTo: '2026-03-01' })
    expect(wholeMonths('2026-02-02', '2026-02-28')).toEqual({ fullFrom: '2026-02-02', fullTo: '2026-02-02' })
    expect(wholeMonths('2026-01-20', '2026-02-10')).toEqual({ fullFrom: '2026-01-20', fullTo: '2026-01-20' })
  })
})

describe('project', () => {
  it('counts a counter intake once, on the local day, with its fee and its scans', () => {
    const intake = status({ at: '2026-11-27T18:00:00.000Z', feeAmount: 15000, files: 2 })
    const { moves, state } = run([intake])
    // 01:00 on 28/11 in Việt Nam.
    expect(moves).toEqual([
      'received@2026-11-28+1',
      'received_counter@2026-11-28+1',
      'fee_dossiers@2026-11-28+1',
      'digitised@2026-11-28+1',
    ])
    expect(state).toMatchObject({ receivedDay: '2026-11-28', digitised: true, lastSeq: intake.seq })
  })

  it('ignores an event delivered again, and any event not after the last one applied', () => {
    const intake = status()
    const forward = status({ status: 'in_progress', action: 'forward' })
    const first = project(undefined, intake)!
    const second = project(first.state, forward)!
    expect(project(second.state, forward)).toBeNull()
    expect(project(second.state, intake)).toBeNull()
    expect(second.counters).toEqual([])
  })

  it('counts a status seen again (sent back, supplement provided) nothing more', () => {
    const { moves } = run([
      status(),
      status({ status: 'in_progress', action: 'forward' }),
      status({ status: 'received', action: 'send_back' }),
      status({ status: 'supplement_requested', action: 'request_supplement' }),
      status({ status: 'received', action: 'provide_supplement' }),
    ])
    expect(moves).toEqual(['received@2026-11-27+1', 'received_counter@2026-11-27+1'])
  })

  it('classifies the result returned before, on and after the due day, once', () => {
    const finish = (finishedAt: string) =>
      run([
        status(),
        status({ status: 'returned', action: 'return_result', at: finishedAt, finishedAt }),
        status({ status: 'returned', action: 'return_result', at: finishedAt, finishedAt }),
      ]).moves.slice(2)
    expect(finish('2026-11-30T03:00:00.000Z')).toEqual(['resolved_early@2026-11-30+1'])
    expect(finish('2026-12-02T15:00:00.000Z')).toEqual(['resolved_on_time@2026-12-02+1'])
    expect(finish('2026-12-03T01:00:00.000Z')).toEqual(['resolved_late@2026-12-03+1'])
  })

  it('uses the deadline the dossier had when it ended, after a supplement moved it', () => {
    const { moves, state } = run([
      status(),
      status({ status: 'supplement_requested', action: 'request_supplement' }),
      status({ status: 'received', action: 'provide_supplement', dueAt: '2026-12-08T10:00:00.000Z' }),
      status({
        status: 'returned',
        action: 'return_result',
        dueAt: '2026-12-08T10:00:00.000Z',
        at: '2026-12-04T03:00:00.000Z',
        finishedAt: '2026-12-04T03:00:00.000Z',
      }),
    ])
    expect(moves.at(-1)).toBe('resolved_early@2026-12-04+1')
    expect(state).toMatchObject({ outcome: 'early', finishedDay: '2026-12-04', paused: false })
  })

  it('does not count an online application refused before intake as received', () => {
    const { moves } = run([
      status({ status: 'submitted', action: 'submit', channel: 'online' }),
      status({
        status: 'rejected',
        action: 'reject',
        channel: 'online',
        at: '2026-11-28T02:00:00.000Z',
        finishedAt: '2026-11-28T02:00:00.000Z',
      }),
    ])
    expect(moves).toEqual(['rejected@2026-11-28+1'])
  })

  it('counts an online payment made before intake with the intake, and never twice', () => {
    const { moves } = run([
      status({ status: 'submitted', action: 'submit', channel: 'online', feeAmount: 15000 }),
      feePaid(true),
      feePaid(true),
      status({ channel: 'online', feeAmount: 15000, at: '2026-11-30T02:00:00.000Z' }),
    ])
    expect(moves).toEqual([
      'received@2026-11-30+1',
      'received_online@2026-11-30+1',
      'fee_dossiers@2026-11-30+1',
      'fee_paid_online@2026-11-30+1',
    ])
  })

  it('counts an online payment after intake on the day of intake; a cash payment not at all', () => {
    expect(run([status({ feeAmount: 15000 }), feePaid(true, '2026-12-01T02:00:00.000Z')]).moves).toContain(
      'fee_paid_online@2026-11-27+1',
    )
    expect(run([status({ feeAmount: 15000 }), feePaid(false)]).moves).not.toContain(
      'fee_paid_online@2026-11-27+1',
    )
  })

  it('counts a counter dossier digitised when its first scan arrives, on the day of intake', () => {
    const { moves } = run([
      status(),
      status({ status: 'in_progress', action: 'forward', files: 1, at: '2026-11-30T02:00:00.000Z' }),
      status({ status: 'approved', action: 'approve', files: 3, at: '2026-11-30T03:00:00.000Z' }),
    ])
    expect(moves.filter((m) => m.startsWith('digitised'))).toEqual(['digitised@2026-11-27+1'])
  })

  it('counts one result per dossier, electronic when any of its results is', () => {
    const { moves } = run([
      status(),
      result(false, '2026-11-30T02:00:00.000Z'),
      result(true, '2026-12-01T02:00:00.000Z'),
      result(true, '2026-12-01T03:00:00.000Z'),
    ])
    expect(moves.slice(2)).toEqual(['results@2026-11-30+1', 'results_electronic@2026-11-30+1'])
  })

  it('counts the first rating with its points and each criterion scored', () => {
    const { moves } = run([
      status(),
      rated(5, '2026-12-01T02:00:00.000Z'),
      rated(0, '2026-12-02T02:00:00.000Z'),
    ])
    expect(moves.slice(2)).toEqual([
      'ratings@2026-12-01+1',
      'rating_total@2026-12-01+5',
      'rating_max@2026-12-01+6',
      'criterion_1_ratings@2026-12-01+1',
      'criterion_1_score@2026-12-01+2',
      'criterion_3_ratings@2026-12-01+1',
      'criterion_3_score@2026-12-01+1',
      'criterion_7_ratings@2026-12-01+1',
      'criterion_7_score@2026-12-01+2',
    ])
  })
})
