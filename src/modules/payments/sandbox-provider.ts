import { randomBytes } from 'node:crypto'
import {
  ProviderUnavailableError,
  type CallbackAnswer,
  type PaymentNotice,
  type PaymentProvider,
  type PaymentRedirect,
  type PaymentRequest,
  type StatusQuery,
  type TransactionStatus,
  type Verification,
} from './payment-provider.js'
import { sandboxPaths } from './payments.paths.js'
import { gatewayTime, parseGatewayTime, sign, toQuery, verify, type SignedParams } from './signed-query.js'

/** The merchant (terminal) code the platform holds at the sandbox gateway (vnp_TmnCode is 8 characters). */
export const SANDBOX_MERCHANT = 'CBDVC001'
export const SANDBOX_VERSION = '2.1.0'

export type SandboxProviderOptions = {
  secret: string
  merchant?: string
  /** Where the platform reaches the gateway server to server: PUBLIC_URL or the address it listens on. */
  gatewayUrl: () => string
}

const ANSWERS = {
  confirmed: { status: 200, RspCode: '00', Message: 'Confirm Success' },
  already_confirmed: { status: 200, RspCode: '02', Message: 'Order already confirmed' },
  bad_signature: { status: 400, RspCode: '97', Message: 'Invalid signature' },
  unknown_reference: { status: 404, RspCode: '01', Message: 'Order not found' },
  amount_mismatch: { status: 400, RspCode: '04', Message: 'Invalid amount' },
  error: { status: 500, RspCode: '99', Message: 'Unknown error' },
} as const satisfies Record<CallbackAnswer, { status: number; RspCode: string; Message: string }>

/**
 * The platform's side of the sandbox gateway, written as it would be for VNPay: a signed redirect URL, signed
 * notices checked field by field, and a signed status query over HTTP. Replacing it with a real gateway means
 * another PaymentProvider, not a change to the payments service.
 */
export class SandboxProvider implements PaymentProvider {
  readonly name = 'sandbox'
  readonly label = 'Cổng thanh toán thử nghiệm (sandbox)'
  readonly isSandbox = true
  private readonly merchant: string

  constructor(private readonly options: SandboxProviderOptions) {
    this.merchant = options.merchant ?? SANDBOX_MERCHANT
  }

  async createPayment(request: PaymentRequest): Promise<PaymentRedirect> {
    const params = sign(
      {
        vnp_Version: SANDBOX_VERSION,
        vnp_Command: 'pay',
        vnp_TmnCode: this.merchant,
        vnp_Amount: String(request.amount * 100),
        vnp_CurrCode: 'VND',
        vnp_TxnRef: request.reference,
        vnp_OrderInfo: request.description,
        vnp_OrderType: 'billpayment',
        vnp_Locale: 'vn',
        vnp_ReturnUrl: request.returnUrl,
        vnp_IpAddr: request.clientIp,
        vnp_CreateDate: gatewayTime(request.createdAt),
        vnp_ExpireDate: gatewayTime(request.expiresAt),
      },
      this.options.secret,
    )
    // The sandbox is served by this platform, so its payment page is on the origin the browser came back to.
    const origin = new URL(request.returnUrl).origin
    return {
      redirectUrl: `${origin}${sandboxPaths.pay}?${toQuery(params)}`,
      providerReference: request.reference,
    }
  }

  verifyCallback(params: Record<string, string>): Verification {
    return this.verifyResult(params)
  }

  verifyReturn(params: Record<string, string>): Verification {
    return this.verifyResult(params)
  }

  callbackAnswer(answer: CallbackAnswer) {
    const { status, RspCode, Message } = ANSWERS[answer]
    return { status, body: { RspCode, Message } }
  }

  async queryStatus(query: StatusQuery): Promise<TransactionStatus> {
    const now = new Date()
    const params = sign(
      {
        vnp_RequestId: randomBytes(8).toString('hex'),
        vnp_Version: SANDBOX_VERSION,
        vnp_Command: 'querydr',
        vnp_TmnCode: this.merchant,
        vnp_TxnRef: query.reference,
        vnp_OrderInfo: `Truy van giao dich ${query.reference}`,
        vnp_TransactionDate: gatewayTime(query.createdAt),
        vnp_CreateDate: gatewayTime(now),
        vnp_IpAddr: query.clientIp,
      },
      this.options.secret,
    )
    const url = `${this.options.gatewayUrl()}${sandboxPaths.query}?${toQuery(params)}`
    let body: SignedParams
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(10_000) })
      if (!response.ok) throw new Error(`HTTP ${response.status}`)
      body = (await response.json()) as SignedParams
    } catch (error) {
      throw new ProviderUnavailableError(this.name, (error as Error).message)
    }
    if (!verify(stringsOnly(body), this.options.secret) || body.vnp_TmnCode !== this.merchant) {
      throw new ProviderUnavailableError(this.name, 'câu trả lời sai chữ ký (unsigned status answer)')
    }
    if (body.vnp_ResponseCode === '91') return { state: 'unknown' }
    if (body.vnp_ResponseCode !== '00' || body.vnp_TxnRef !== query.reference) {
      throw new ProviderUnavailableError(this.name, `mã trả lời ${body.vnp_ResponseCode ?? '?'}`)
    }
    const amount = amountOf(body.vnp_Amount)
    if (amount === null) throw new ProviderUnavailableError(this.name, 'số tiền không hợp lệ')
    const status = body.vnp_TransactionStatus
    const state =
      status === '00'
        ? 'succeeded'
        : status === '01'
          ? 'pending'
          : body.vnp_TransactionResponseCode === '11'
            ? 'expired'
            : 'failed'
    return {
      state,
      amount,
      providerTransaction: body.vnp_TransactionNo || null,
      responseCode: body.vnp_TransactionResponseCode ?? status ?? '',
      paidAt: parseGatewayTime(body.vnp_PayDate),
    }
  }

  /** Notices and returns carry the same fields, signed the same way. */
  private verifyResult(params: Record<string, string>): Verification {
    const claimedReference = typeof params.vnp_TxnRef === 'string' ? params.vnp_TxnRef.slice(0, 80) : null
    const reject = (
      reason: 'bad_signature' | 'malformed' | 'wrong_merchant',
      message: string,
    ): Verification => ({
      ok: false,
      rejection: { reason, claimedReference, message },
    })
    if (!verify(params, this.options.secret)) return reject('bad_signature', 'Chữ ký không hợp lệ.')
    if (params.vnp_TmnCode !== this.merchant)
      return reject('wrong_merchant', 'Sai mã đơn vị chấp nhận thanh toán.')
    const amount = amountOf(params.vnp_Amount)
    const reference = params.vnp_TxnRef
    const responseCode = params.vnp_ResponseCode
    if (amount === null || !reference || !responseCode) return reject('malformed', 'Thiếu hoặc sai tham số.')
    const notice: PaymentNotice = {
      reference,
      amount,
      outcome: responseCode === '00' && params.vnp_TransactionStatus === '00' ? 'succeeded' : 'failed',
      providerTransaction: params.vnp_TransactionNo || null,
      responseCode,
      paidAt: parseGatewayTime(params.vnp_PayDate),
    }
    return { ok: true, notice }
  }
}

/** vnp_Amount is the amount in đồng times 100; anything else is malformed. */
function amountOf(raw: string | undefined): number | null {
  if (!raw || !/^\d{3,15}$/.test(raw) || !raw.endsWith('00')) return null
  const amount = Number(raw) / 100
  return amount > 0 && Number.isSafeInteger(amount) ? amount : null
}

function stringsOnly(body: unknown): SignedParams {
  if (!body || typeof body !== 'object') return {}
  return Object.fromEntries(
    Object.entries(body as Record<string, unknown>).filter(([, v]) => typeof v === 'string'),
  ) as SignedParams
}
