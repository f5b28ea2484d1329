import { appendAudit, type AuditContext } from '../../platform/audit/audit.js'
import { can, ForbiddenError, hasRole, type Actor } from '../../platform/auth/actor.js'
import { Permission, Role } from '../../platform/auth/roles.js'
import { localDateOf, localInstant } from '../../platform/calendar/index.js'
import { inTransaction } from '../../platform/db/database.js'
import { emitEvent } from '../../platform/events/outbox.js'
import { ConflictError, NotFoundError, ValidationError } from '../../platform/http/errors.js'
import type { ModuleDeps } from '../../platform/module.js'
import type { SigningKeys } from '../../platform/signing/index.js'
import type { DossiersService } from '../dossiers/index.js'
import type { OrganisationService } from '../organisation/index.js'
import {
  ProviderUnavailableError,
  type CallbackAnswer,
  type PaymentNotice,
  type PaymentProvider,
  type TransactionStatus,
} from './payment-provider.js'
import { paymentReceiptPdf } from './payment-receipt.pdf.js'
import * as repo from './payments.repository.js'
import { PAYMENT_STATUSES, PaymentStatus, type RecordProblem } from './payments.tables.js'
import { parseQuery } from './signed-query.js'

declare module '../../platform/events/outbox.js' {
  interface DomainEvents {
    'payment.status_changed': {
      reference: string
      dossierCode: string
      unitId: string
      status: PaymentStatus
      amount: number
      provider: string
      at: string
    }
  }
}

export type PaymentsDeps = ModuleDeps & {
  dossiers: DossiersService
  organisation: OrganisationService
  signing: SigningKeys
  provider: PaymentProvider
}

/** How long a citizen has on the gateway's page; an attempt still pending after it is flagged and re-checked. */
export const PAYMENT_WINDOW_MINUTES = 15

/** What reconciliation flags, each with its Vietnamese explanation. */
export const FlagKind = {
  notRecorded: 'not_recorded',
  amountDiffers: 'amount_differs',
  pendingTooLong: 'pending_too_long',
  badSignature: 'bad_signature',
  unknownReference: 'unknown_reference',
} as const
export type FlagKind = (typeof FlagKind)[keyof typeof FlagKind]

export type Flag = {
  kind: FlagKind
  at: Date
  reference: string | null
  dossierCode: string | null
  detail: string
}

const RECORD_PROBLEM_TEXT = {
  already_paid:
    'hồ sơ đã được ghi nhận nộp phí bằng giao dịch hoặc hình thức khác: người nộp đã trả hai lần, cần hoàn tiền',
  amount_differs: 'số tiền khác số phí, lệ phí phải nộp của hồ sơ',
  dossier_missing: 'không tìm thấy hồ sơ',
} as const satisfies Record<RecordProblem, string>

const DAY = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/

/** What a verified message (a notice, or a status query's answer) does to an attempt in a given state. */
function decide(current: PaymentStatus, outcome: PaymentNotice['outcome']) {
  if (current === PaymentStatus.pending) return 'apply' as const
  if (outcome === 'succeeded') {
    // Money the provider says it took is never ignored: an attempt given up as failed or expired that later
    // succeeds becomes a succeeded payment (and a refund if the dossier was paid meanwhile).
    return current === PaymentStatus.succeeded ? ('duplicate' as const) : ('apply' as const)
  }
  // A failure after a success is a late, out-of-order message: a result, once final, stays.
  return current === PaymentStatus.succeeded ? ('out_of_order' as const) : ('duplicate' as const)
}

export function createPaymentsService(deps: PaymentsDeps) {
  const { db, clock, dossiers, organisation, signing, provider } = deps
  const systemContext = (ip: string | null, requestId: string | null = null): AuditContext => ({
    actorId: null,
    actorLabel: `payments:${provider.name}`,
    ip,
    requestId,
  })

  /** The units whose payments the actor reconciles: null for administrators (every unit). */
  async function reconcilingUnits(actor: Actor): Promise<string[] | null> {
    if (hasRole(actor, Role.systemAdmin)) return null
    if (!can(actor, Permission.dossiersReceive)) throw new ForbiddenError(Permission.dossiersReceive)
    const units = await organisation.listUnits({})
    return units.filter((u) => can(actor, Permission.dossiersReceive, u)).map((u) => u.id)
  }

  /**
   * The dossier's payment page: the applicant pays there, the unit's officers read it. Others get what reading
   * the dossier gives them (403, or 404 for a code that does not exist).
   */
  async function overview(actor: Actor, ctx: AuditContext, code: string) {
    const { dossier } = await dossiers.get(actor, code, ctx)
    const attempts = await repo.listForDossier(db, dossier.code)
    const isApplicant = dossier.applicant_user_id === actor.userId
    const settled = attempts.some((a) => a.status === PaymentStatus.succeeded)
    return {
      dossier,
      attempts,
      recorded: attempts.find((a) => a.recorded) ?? null,
      isApplicant,
      canPay: isApplicant && dossier.fee_amount > 0 && !dossier.fee_paid_at && !settled,
      provider: { label: provider.label, isSandbox: provider.isSandbox },
    }
  }

  /**
   * A new attempt and the gateway address to send the applicant to. Earlier attempts stay as they are: one
   * abandoned on the gateway's page may still be paid, and is then counted once.
   */
  async function start(
    actor: Actor,
    ctx: AuditContext,
    code: string,
    where: { returnUrl: string; clientIp: string },
  ) {
    const { dossier } = await dossiers.get(actor, code, ctx)
    if (dossier.applicant_user_id !== actor.userId) {
      throw new ForbiddenError(
        'payments.pay',
        dossier.unit_id,
        'Chỉ người nộp hồ sơ mới thanh toán trực tuyến.',
      )
    }
    if (dossier.fee_amount <= 0) throw new ConflictError('Hồ sơ này không phải nộp phí, lệ phí.')
    if (dossier.fee_paid_at) throw new ConflictError('Hồ sơ đã nộp phí, lệ phí.')
    const attempts = await repo.listForDossier(db, dossier.code)
    if (attempts.some((a) => a.status === PaymentStatus.succeeded)) {
      throw new ConflictError(
        'Cổng thanh toán đã báo giao dịch thành công; hồ sơ đang được ghi nhận đã nộp phí.',
      )
    }
    const now = clock()
    let payment: repo.PaymentRow | undefined
    // Two clicks at once draw the same attempt number; the unique key sends the second round again.
    for (let tries = 0; !payment; tries++) {
      const attempt = await repo.nextAttempt(db, dossier.code)
      try {
        payment = await inTransaction(db, async (tx) => {
          const row = await repo.insertPayment(tx, {
            reference: `${dossier.code}-TT${attempt}`,
            provider: provider.name,
            provider_reference: null,
            dossier_code: dossier.code,
            unit_id: dossier.unit_id,
            payer_user_id: actor.userId,
            payer_name: dossier.applicant_name,
            procedure_code: dossier.procedure_code,
            procedure_name: dossier.procedure_name,
            amount: dossier.fee_amount,
            attempt,
            provider_transaction: null,
            paid_amount: null,
            response_code: null,
            paid_at: null,
            record_problem: null,
            gateway_status: null,
            gateway_checked_at: null,
            created_at: now,
            expires_at: new Date(now.getTime() + PAYMENT_WINDOW_MINUTES * 60_000),
            updated_at: now,
          })
          await appendAudit(
            tx,
            ctx,
            {
              action: 'payment.started',
              objectType: 'dossier',
              objectId: dossier.code,
              unitId: dossier.unit_id,
              details: { reference: row.reference, amount: row.amount, provider: provider.name },
            },
            now,
          )
          return row
        })
      } catch (error) {
        if ((error as { code?: string }).code !== '23505' || tries >= 3) throw error
      }
    }
    try {
      const redirect = await provider.createPayment({
        reference: payment.reference,
        amount: payment.amount,
        description: `Nộp phí, lệ phí hồ sơ ${dossier.code}: ${dossier.procedure_name}`.slice(0, 255),
        returnUrl: where.returnUrl,
        clientIp: where.clientIp,
        createdAt: payment.created_at,
        expiresAt: payment.expires_at,
      })
      await repo.updatePayment(db, payment.id, { provider_reference: redirect.providerReference })
      return { payment, redirectUrl: redirect.redirectUrl }
    } catch (error) {
      await repo.updatePayment(db, payment.id, {
        status: PaymentStatus.failed,
        response_code: 'provider_error',
        updated_at: clock(),
      })
      throw error
    }
  }

  /**
   * Applies a verified statement of the provider to its attempt, once: the state change, the log entry, the
   * audit entry and the event commit together. A success is then written on the dossier, outside that
   * transaction (the dossiers module runs its own, and the embedded database has one connection).
   */
  async function applyNotice(
    notice: PaymentNotice,
    source: 'callback' | 'status_query',
    raw: string,
    ip: string | null,
    requestId: string | null = null,
  ): Promise<CallbackAnswer> {
    const payment = await repo.findByReference(db, notice.reference)
    const log = {
      provider: provider.name,
      source,
      reference: notice.reference,
      payment_id: payment?.id ?? null,
      raw,
      signature_ok: true,
      remote_ip: ip,
    }
    if (!payment || payment.provider !== provider.name) {
      await repo.logCallback(db, { ...log, payment_id: null, outcome: 'unknown_reference' })
      return 'unknown_reference'
    }
    if (notice.amount !== payment.amount) {
      await repo.logCallback(db, { ...log, outcome: 'amount_mismatch' })
      return 'amount_mismatch'
    }
    const now = clock()
    const result = await inTransaction(db, async (tx) => {
      const current = await repo.lockPayment(tx, payment.id)
      const decision = decide(current.status, notice.outcome)
      if (decision !== 'apply') {
        await repo.logCallback(tx, {
          ...log,
          outcome: decision === 'duplicate' ? 'duplicate' : 'out_of_order',
        })
        // A success whose recording was interrupted (a crash between the two) is finished by its repeat.
        const unfinished =
          current.status === PaymentStatus.succeeded && !current.recorded && current.record_problem === null
        return { changed: false, payment: current, record: unfinished && decision === 'duplicate' }
      }
      const status = notice.outcome === 'succeeded' ? PaymentStatus.succeeded : PaymentStatus.failed
      const updated = await repo.updatePayment(tx, current.id, {
        status,
        provider_transaction: notice.providerTransaction,
        paid_amount: notice.amount,
        response_code: notice.responseCode,
        paid_at: status === PaymentStatus.succeeded ? (notice.paidAt ?? now) : null,
        updated_at: now,
      })
      await repo.logCallback(tx, { ...log, outcome: `applied_${status}` })
      await emitEvent(tx, 'payment.status_changed', {
        reference: updated.reference,
        dossierCode: updated.dossier_code,
        unitId: updated.unit_id,
        status,
        amount: updated.amount,
        provider: provider.name,
        at: now.toISOString(),
      })
      await appendAudit(
        tx,
        systemContext(ip, requestId),
        {
          action: `payment.${status}`,
          objectType: 'dossier',
          objectId: updated.dossier_code,
          unitId: updated.unit_id,
          details: { reference: updated.reference, amount: updated.amount, source, from: current.status },
        },
        now,
      )
      return { changed: true, payment: updated, record: status === PaymentStatus.succeeded }
    })
    if (result.record) await recordOnDossier(result.payment, systemContext(ip, requestId))
    return result.changed ? 'confirmed' : 'already_confirmed'
  }

  /** Writes a succeeded attempt on the dossier; the dossiers module keeps it to one payment per dossier. */
  async function recordOnDossier(payment: repo.PaymentRow, ctx: AuditContext) {
    let problem: RecordProblem | null = null
    try {
      const { dossier, recorded } = await dossiers.recordPayment(ctx, payment.dossier_code, {
        online: true,
        reference: payment.reference,
        amount: payment.amount,
        at: payment.paid_at ?? clock(),
      })
      // Not recorded now but carrying our reference: an earlier, interrupted call of ours did it.
      if (!recorded && dossier.fee_reference !== payment.reference) problem = 'already_paid'
    } catch (error) {
      if (error instanceof NotFoundError) problem = 'dossier_missing'
      else if (error instanceof ConflictError) problem = 'amount_differs'
      else throw error
    }
    await repo.updatePayment(db, payment.id, {
      recorded: problem === null,
      record_problem: problem,
      updated_at: clock(),
    })
  }

  /** A notice from the provider, exactly as received: believed only if its signature holds. */
  async function handleCallback(
    rawQuery: string,
    ip: string | null,
    requestId: string | null,
  ): Promise<{ status: number; body: unknown }> {
    const params = parseQuery(rawQuery)
    const verified = params
      ? provider.verifyCallback(params)
      : ({
          ok: false,
          rejection: { reason: 'malformed', claimedReference: null, message: 'Tham số lặp lại.' },
        } as const)
    if (!verified.ok) {
      const claimed = verified.rejection.claimedReference
      const payment = claimed ? await repo.findByReference(db, claimed) : undefined
      await repo.logCallback(db, {
        provider: provider.name,
        source: 'callback',
        reference: claimed,
        payment_id: payment?.id ?? null,
        raw: rawQuery.slice(0, 8000),
        signature_ok: false,
        outcome: `rejected_${verified.rejection.reason}`,
        remote_ip: ip,
      })
      return provider.callbackAnswer('bad_signature')
    }
    return provider.callbackAnswer(await applyNotice(verified.notice, 'callback', rawQuery, ip, requestId))
  }

  /** What the browser's return says, checked but not acted on: only the provider's notice marks a payment. */
  async function describeReturn(actor: Actor, rawQuery: string) {
    const params = parseQuery(rawQuery)
    const verified = params ? provider.verifyReturn(params) : null
    if (!verified?.ok) return { verified: false as const }
    const payment = await repo.findByReference(db, verified.notice.reference)
    if (!payment || payment.payer_user_id !== actor.userId) return { verified: false as const }
    return { verified: true as const, notice: verified.notice, payment }
  }

  /** Applies the provider's answer to a status query for one attempt. */
  async function applyStatus(
    payment: repo.PaymentRow,
    status: TransactionStatus,
  ): Promise<PaymentStatus | 'unknown'> {
    const now = clock()
    await repo.updatePayment(db, payment.id, {
      gateway_status: status.state,
      gateway_checked_at: now,
      updated_at: now,
    })
    const raw = JSON.stringify(status)
    if (status.state === 'succeeded' || status.state === 'failed') {
      const notice: PaymentNotice = {
        reference: payment.reference,
        outcome: status.state,
        amount: status.amount,
        providerTransaction: status.providerTransaction,
        responseCode: status.responseCode,
        paidAt: status.paidAt,
      }
      const answer = await applyNotice(notice, 'status_query', raw, null)
      // A refused answer (another amount) changes nothing: the attempt is still pending, and flagged.
      return answer === 'confirmed' || answer === 'already_confirmed' ? status.state : PaymentStatus.pending
    }
    const gone = status.state === 'expired' || (status.state === 'unknown' && now > payment.expires_at)
    if (!gone) {
      await repo.logCallback(db, {
        provider: provider.name,
        source: 'status_query',
        reference: payment.reference,
        payment_id: payment.id,
        raw,
        signature_ok: true,
        outcome: `still_${status.state}`,
        remote_ip: null,
      })
      return status.state
    }
    await inTransaction(db, async (tx) => {
      const current = await repo.lockPayment(tx, payment.id)
      const outcome = current.status === PaymentStatus.pending ? 'applied_expired' : 'duplicate'
      await repo.logCallback(tx, {
        provider: provider.name,
        source: 'status_query',
        reference: payment.reference,
        payment_id: payment.id,
        raw,
        signature_ok: true,
        outcome,
        remote_ip: null,
      })
      if (outcome === 'duplicate') return
      await repo.updatePayment(tx, current.id, { status: PaymentStatus.expired, updated_at: now })
      await emitEvent(tx, 'payment.status_changed', {
        reference: current.reference,
        dossierCode: current.dossier_code,
        unitId: current.unit_id,
        status: PaymentStatus.expired,
        amount: current.amount,
        provider: provider.name,
        at: now.toISOString(),
      })
    })
    return PaymentStatus.expired
  }

  /**
   * Asks the provider about every pending attempt in the actor's units (all of them for the CLI and timers, when
   * `actor` is null) and finishes interrupted recordings. One attempt's unreachable provider does not stop the rest.
   * `createdBefore` leaves younger attempts alone (the timer asks only about those past the gateway's 15 minutes).
   */
  async function recheck(actor: Actor | null, ctx: AuditContext, createdBefore?: Date) {
    const units = actor ? await reconcilingUnits(actor) : null
    const counts = {
      checked: 0,
      succeeded: 0,
      failed: 0,
      expired: 0,
      pending: 0,
      unreachable: 0,
      recorded: 0,
    }
    for (const payment of await repo.listPending(db, units, 500, createdBefore)) {
      let status: TransactionStatus
      try {
        status = await provider.queryStatus({
          reference: payment.reference,
          createdAt: payment.created_at,
          clientIp: '127.0.0.1',
        })
      } catch (error) {
        if (!(error instanceof ProviderUnavailableError)) throw error
        counts.unreachable++
        continue
      }
      counts.checked++
      const state = await applyStatus(payment, status)
      if (state === 'unknown') counts.pending++
      else counts[state]++
    }
    for (const payment of await repo.listUnrecorded(db, units, 500)) {
      await recordOnDossier(payment, systemContext(ctx.ip, ctx.requestId))
      counts.recorded++
    }
    // A person's recheck is always recorded; the timer's only when it found something.
    if (actor || counts.checked + counts.unreachable + counts.recorded > 0) {
      await appendAudit(db, ctx, { action: 'payment.rechecked', details: counts })
    }
    return counts
  }

  /** One day of payments in the actor's units: counts and sums by status, and what needs a person's attention. */
  async function reconciliation(actor: Actor, dayInput?: string) {
    const units = await reconcilingUnits(actor)
    const day = dayInput?.trim() || localDateOf(clock())
    if (!DAY.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`))) {
      throw new ValidationError({ day: 'Ngày phải có dạng YYYY-MM-DD.' })
    }
    const from = localInstant(day)
    const to = new Date(from.getTime() + 24 * 3_600_000)
    const [payments, callbacks] = await Promise.all([
      repo.listForDay(db, from, to, units),
      repo.listSuspiciousCallbacks(db, from, to, units),
    ])
    const byStatus = PAYMENT_STATUSES.map((status) => {
      const rows = payments.filter((p) => p.status === status)
      return { status, count: rows.length, amount: rows.reduce((sum, p) => sum + p.amount, 0) }
    })
    const succeeded = payments.filter((p) => p.status === PaymentStatus.succeeded)
    const totals = {
      attempts: payments.length,
      amount: payments.reduce((sum, p) => sum + p.amount, 0),
      succeededAmount: succeeded.reduce((sum, p) => sum + p.amount, 0),
      recordedAmount: succeeded.filter((p) => p.recorded).reduce((sum, p) => sum + p.amount, 0),
    }
    const now = clock()
    const flags: Flag[] = []
    for (const p of payments) {
      const base = { at: p.created_at, reference: p.reference, dossierCode: p.dossier_code }
      if ((p.status === PaymentStatus.succeeded || p.gateway_status === 'succeeded') && !p.recorded) {
        flags.push({
          ...base,
          kind: FlagKind.notRecorded,
          detail: `Cổng thanh toán báo thành công nhưng chưa ghi nhận vào hồ sơ${
            p.record_problem
              ? `: ${RECORD_PROBLEM_TEXT[p.record_problem]}`
              : ' (chưa nhận được thông báo hoặc đang ghi nhận)'
          }.`,
        })
      }
      if (p.paid_amount !== null && p.paid_amount !== p.amount) {
        flags.push({
          ...base,
          kind: FlagKind.amountDiffers,
          detail: `Cổng thanh toán báo số tiền ${p.paid_amount.toLocaleString('vi-VN')} đồng, khác ${p.amount.toLocaleString('vi-VN')} đồng phải nộp.`,
        })
      }
      if (
        p.status === PaymentStatus.pending &&
        now.getTime() - p.created_at.getTime() > PAYMENT_WINDOW_MINUTES * 60_000
      ) {
        flags.push({
          ...base,
          kind: FlagKind.pendingTooLong,
          detail: `Giao dịch chờ kết quả quá ${PAYMENT_WINDOW_MINUTES} phút; hãy kiểm tra lại với cổng thanh toán.`,
        })
      }
    }
    for (const c of callbacks) {
      const base = { at: c.received_at, reference: c.reference, dossierCode: c.dossier_code ?? null }
      if (!c.signature_ok) {
        flags.push({
          ...base,
          kind: FlagKind.badSignature,
          detail: `Thông báo sai chữ ký từ ${c.remote_ip ?? 'không rõ địa chỉ'} (${c.outcome}); không được chấp nhận.`,
        })
      } else if (c.outcome === 'amount_mismatch') {
        flags.push({
          ...base,
          kind: FlagKind.amountDiffers,
          detail: 'Thông báo đúng chữ ký nhưng số tiền khác số phải nộp; không được chấp nhận.',
        })
      } else {
        flags.push({
          ...base,
          kind: FlagKind.unknownReference,
          detail: 'Thông báo đúng chữ ký cho một mã giao dịch không có trên hệ thống.',
        })
      }
    }
    flags.sort((a, b) => a.at.getTime() - b.at.getTime())
    return { day, byStatus, totals, payments, flags }
  }

  /** The signed receipt of the online payment written on the dossier. */
  async function receipt(actor: Actor, ctx: AuditContext, code: string) {
    const { dossier } = await dossiers.get(actor, code, ctx)
    const payment = await repo.findRecorded(db, dossier.code)
    if (!payment) throw new NotFoundError('Hồ sơ chưa có biên lai nộp phí, lệ phí trực tuyến.')
    const [unit] = await organisation.findUnitsByIds([payment.unit_id])
    if (!unit?.agencyCode) throw new NotFoundError('Không tìm thấy đơn vị thu của biên lai.')
    const doc = await paymentReceiptPdf({
      payment,
      unitName: unit.name,
      providerLabel: provider.label,
      sandbox: provider.isSandbox,
    })
    const signer = await signing.signerFor(unit.agencyCode, unit.name)
    const pdf = await signer.sign(doc, {
      reason: `Biên lai thu phí, lệ phí hồ sơ ${payment.dossier_code}`,
      location: 'Cao Bằng',
      signerName: unit.name,
    })
    return { pdf, payment }
  }

  return { overview, start, handleCallback, describeReturn, recheck, reconciliation, receipt, applyNotice }
}

export type PaymentsService = ReturnType<typeof createPaymentsService>
