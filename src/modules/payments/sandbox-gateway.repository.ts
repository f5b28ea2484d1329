import type { Insertable, Selectable } from 'kysely'
import type { Queryable } from '../../platform/db/database.js'
import { tablesOf } from '../../platform/db/tables.js'
import type { PaymentTables } from './payments.tables.js'

export type SandboxTransaction = Selectable<PaymentTables['sandbox_gateway_transactions']>
const t = (q: Queryable) => tablesOf<PaymentTables>(q)

/** Records a payment request the first time its page is opened; opening it again changes nothing. */
export async function openTransaction(
  q: Queryable,
  values: Insertable<PaymentTables['sandbox_gateway_transactions']>,
): Promise<SandboxTransaction> {
  await t(q)
    .insertInto('sandbox_gateway_transactions')
    .values(values)
    .onConflict((oc) => oc.columns(['merchant', 'txn_ref']).doNothing())
    .execute()
  return (await findByRef(q, values.merchant, values.txn_ref))!
}

export function findByRef(q: Queryable, merchant: string, txnRef: string) {
  return t(q)
    .selectFrom('sandbox_gateway_transactions')
    .selectAll()
    .where('merchant', '=', merchant)
    .where('txn_ref', '=', txnRef)
    .executeTakeFirst()
}

export function findByNumber(q: Queryable, transactionNo: number) {
  return t(q)
    .selectFrom('sandbox_gateway_transactions')
    .selectAll()
    .where('transaction_no', '=', transactionNo)
    .executeTakeFirst()
}

/** The customer's choice; only a pending transaction takes one, so a double click decides once. */
export function complete(
  q: Queryable,
  transactionNo: number,
  values: {
    status: 'succeeded' | 'failed'
    response_code: string
    bank_code: string | null
    card_last4: string | null
    paid_at: Date
  },
) {
  return t(q)
    .updateTable('sandbox_gateway_transactions')
    .set(values)
    .where('transaction_no', '=', transactionNo)
    .where('status', '=', 'pending')
    .returningAll()
    .executeTakeFirst()
}

export async function recordNoticeAttempt(
  q: Queryable,
  transactionNo: number,
  outcome: { acknowledgedAt: Date } | { error: string },
) {
  await t(q)
    .updateTable('sandbox_gateway_transactions')
    .set((eb) => ({
      ipn_attempts: eb('ipn_attempts', '+', 1),
      ...('error' in outcome
        ? { ipn_last_error: outcome.error }
        : { ipn_acknowledged_at: outcome.acknowledgedAt, ipn_last_error: null }),
    }))
    .where('transaction_no', '=', transactionNo)
    .execute()
}
