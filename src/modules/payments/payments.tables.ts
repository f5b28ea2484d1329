import type { Generated } from 'kysely'

export const PaymentStatus = {
  pending: 'pending',
  succeeded: 'succeeded',
  failed: 'failed',
  expired: 'expired',
} as const
export type PaymentStatus = (typeof PaymentStatus)[keyof typeof PaymentStatus]
export const PAYMENT_STATUSES = Object.values(PaymentStatus)

/** Why a succeeded payment is not the one written on the dossier. */
export type RecordProblem = 'already_paid' | 'amount_differs' | 'dossier_missing'

/** The payments module's tables (migrations/0013_payments_create.sql). */
export type PaymentTables = {
  payments: {
    id: Generated<string>
    reference: string
    provider: string
    provider_reference: string | null
    dossier_code: string
    unit_id: string
    payer_user_id: string
    payer_name: string
    procedure_code: string
    procedure_name: string
    amount: number
    attempt: number
    status: Generated<PaymentStatus>
    provider_transaction: string | null
    paid_amount: number | null
    response_code: string | null
    paid_at: Date | null
    recorded: Generated<boolean>
    record_problem: RecordProblem | null
    gateway_status: PaymentStatus | 'unknown' | null
    gateway_checked_at: Date | null
    created_at: Date
    expires_at: Date
    updated_at: Date
  }
  payment_callbacks: {
    id: Generated<number>
    received_at: Generated<Date>
    provider: string
    source: 'callback' | 'status_query'
    reference: string | null
    payment_id: string | null
    raw: string
    signature_ok: boolean
    outcome: string
    remote_ip: string | null
  }
  sandbox_gateway_transactions: {
    transaction_no: Generated<number>
    merchant: string
    txn_ref: string
    amount: number
    order_info: string
    return_url: string
    status: Generated<'pending' | 'succeeded' | 'failed'>
    response_code: string | null
    bank_code: string | null
    card_last4: string | null
    created_at: Date
    expires_at: Date
    paid_at: Date | null
    ipn_attempts: Generated<number>
    ipn_last_error: string | null
    ipn_acknowledged_at: Date | null
  }
}
