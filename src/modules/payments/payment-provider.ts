/**
 * What the platform needs from a payment provider: the national payment platform (PayGov, on the National Public
 * Service Portal), a bank's gateway, VNPay, or the sandbox. A provider turns a payment request into the address
 * the citizen's browser goes to, checks the messages it later sends back (a server-to-server notice and the
 * browser's return), and answers status queries for reconciliation. It keeps no state of ours: the payments
 * service owns the attempts and decides what a verified message changes.
 */
export interface PaymentProvider {
  /** Stored with each attempt: `sandbox`, `paygov`, `vnpay`… */
  readonly name: string
  /** Shown to citizens and on receipts, in Vietnamese. */
  readonly label: string
  /** True for a gateway that moves no money; pages and receipts say so. */
  readonly isSandbox: boolean
  createPayment(request: PaymentRequest): Promise<PaymentRedirect>
  /** A server-to-server notice (IPN): its signature, merchant and fields, never its meaning for us. */
  verifyCallback(params: Record<string, string>): Verification
  /** The parameters on the browser's return; shown to the citizen, never trusted to mark anything paid. */
  verifyReturn(params: Record<string, string>): Verification
  /** What to answer the provider's notice with, in the provider's own protocol. */
  callbackAnswer(answer: CallbackAnswer): { status: number; body: unknown }
  /** Asks the provider what became of an attempt (reconciliation, abandoned payments). */
  queryStatus(query: StatusQuery): Promise<TransactionStatus>
}

export type PaymentRequest = {
  /** Our unique reference for the attempt (vnp_TxnRef). */
  reference: string
  /** In đồng. */
  amount: number
  /** What the payment is for, as the gateway shows it. */
  description: string
  /** Where the gateway sends the browser back. */
  returnUrl: string
  clientIp: string
  createdAt: Date
  /** The gateway refuses the payment after this. */
  expiresAt: Date
}

export type PaymentRedirect = { redirectUrl: string; providerReference: string }

/** A verified statement from the provider about one attempt. */
export type PaymentNotice = {
  reference: string
  /** In đồng, as the provider reports it. */
  amount: number
  outcome: 'succeeded' | 'failed'
  /** The provider's own transaction number, when it assigned one. */
  providerTransaction: string | null
  responseCode: string
  paidAt: Date | null
}

/** Why a message was not believed. */
export type Rejection = {
  reason: 'bad_signature' | 'malformed' | 'wrong_merchant'
  /** The reference the message claims, to link the log entry; never trusted. */
  claimedReference: string | null
  message: string
}

export type Verification = { ok: true; notice: PaymentNotice } | { ok: false; rejection: Rejection }

/** How the platform took a notice; the provider maps it to its own answer codes. */
export type CallbackAnswer =
  'confirmed' | 'already_confirmed' | 'bad_signature' | 'unknown_reference' | 'amount_mismatch' | 'error'

export type StatusQuery = { reference: string; createdAt: Date; clientIp: string }

export type TransactionStatus =
  | {
      state: 'succeeded' | 'failed' | 'pending' | 'expired'
      amount: number
      providerTransaction: string | null
      responseCode: string
      paidAt: Date | null
    }
  /** The provider has no such transaction: the citizen never reached its page. */
  | { state: 'unknown' }

/** Thrown when the provider cannot be reached or answers something unverifiable; the caller may try again later. */
export class ProviderUnavailableError extends Error {
  constructor(provider: string, detail: string) {
    super(`Không liên lạc được với cổng thanh toán ${provider} (${detail}).`)
  }
}
