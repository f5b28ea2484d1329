import type { Children } from '@kitajs/html'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { hmac, safeEqual } from '../../platform/auth/tokens.js'
import type { Clock } from '../../platform/clock.js'
import { inTransaction, type Db } from '../../platform/db/database.js'
import { sendPage } from '../../platform/http/plugin.js'
import { enqueue, type JobContext } from '../../platform/jobs/index.js'
import { assetUrl } from '../../platform/views/assets.js'
import { CsrfField, ErrorSummary } from '../../platform/views/components.js'
import { formatDateTime } from '../../platform/views/format.js'
import { sandboxPaths } from './payments.paths.js'
import * as repo from './sandbox-gateway.repository.js'
import { SANDBOX_MERCHANT, SANDBOX_VERSION } from './sandbox-provider.js'
import { gatewayTime, parseGatewayTime, parseQuery, sign, toQuery, verify } from './signed-query.js'

declare module '../../platform/jobs/queue.js' {
  interface JobPayloads {
    /** The sandbox gateway's notice (IPN) of one transaction's result, sent until the merchant acknowledges it. */
    'payments.sandbox-notice': { transactionNo: number }
  }
}

/** The test card the sandbox accepts (NCB's test card on VNPay's own sandbox). */
export const SANDBOX_TEST_CARD = '9704198526191432198'
const TEST_CARD_SHOWN = '9704 1985 2619 1432 198'

/** Result codes as VNPay uses them: 00 success, 51 insufficient funds, 11 timed out waiting for payment. */
const CODES = { success: '00', declined: '51', expired: '11' } as const

export type SandboxGatewayOptions = {
  db: Db
  clock: Clock
  secret: string
  /** The merchant the platform is at this gateway, and the name its customers see. */
  merchant?: string
  merchantName: string
  /**
   * The merchant's notice (IPN) address, registered with the gateway as with VNPay rather than sent with each
   * payment; resolved when a notice is sent, so a restart on another address still reaches the platform.
   */
  noticeUrl: () => string
}

type PayForm = Record<string, string | undefined>

/** Thrown into a notice attempt the merchant did not acknowledge, so the job queue tries again later. */
export class NoticeNotAcknowledgedError extends Error {}

/**
 * A payment gateway that moves no money, for trial installations and tests, behaving as a real one does: it
 * accepts only requests signed with the merchant's secret, shows its own payment page, keeps its own books, and
 * after the customer's choice sends a signed server-to-server notice over HTTP (retried with back-off until the
 * merchant acknowledges it) and sends the browser back with signed parameters. It answers signed status queries.
 */
export function createSandboxGateway(options: SandboxGatewayOptions) {
  const { db, clock, secret } = options
  const merchant = options.merchant ?? SANDBOX_MERCHANT
  // Ties the payment form to the transaction whose page was served: transaction numbers are sequential.
  const formToken = (transactionNo: number) => hmac(secret, `sandbox-pay:${transactionNo}`)

  /** The signed result, as both the notice and the browser's return carry it. */
  function resultParams(row: repo.SandboxTransaction) {
    return sign(
      {
        vnp_TmnCode: row.merchant,
        vnp_Amount: String(row.amount * 100),
        vnp_BankCode: row.bank_code ?? 'NCB',
        vnp_CardType: 'ATM',
        vnp_OrderInfo: row.order_info,
        vnp_PayDate: gatewayTime(row.paid_at ?? row.created_at),
        vnp_ResponseCode: row.response_code ?? CODES.declined,
        vnp_TransactionNo: String(row.transaction_no),
        vnp_TransactionStatus: row.status === 'succeeded' ? '00' : '02',
        vnp_TxnRef: row.txn_ref,
      },
      secret,
    )
  }

  const returnTo = (row: repo.SandboxTransaction) => {
    const url = new URL(row.return_url)
    return `${url.origin}${url.pathname}?${toQuery(resultParams(row))}`
  }

  /** Sends one notice; anything but an acknowledgement (RspCode 00, or 02 "already confirmed") is a failure. */
  async function deliverNotice({ transactionNo }: { transactionNo: number }, job: JobContext) {
    const row = await repo.findByNumber(db, transactionNo)
    if (!row || row.status === 'pending' || row.ipn_acknowledged_at) return
    const url = `${options.noticeUrl()}?${toQuery(resultParams(row))}`
    let failure: string
    try {
      const response = await fetch(url, {
        signal: AbortSignal.any([job.signal, AbortSignal.timeout(15_000)]),
      })
      const text = await response.text()
      const answer = safeJson(text) as { RspCode?: unknown } | null
      if (response.ok && (answer?.RspCode === '00' || answer?.RspCode === '02')) {
        await repo.recordNoticeAttempt(db, transactionNo, { acknowledgedAt: clock() })
        return
      }
      failure = `HTTP ${response.status}: ${text.slice(0, 300)}`
    } catch (error) {
      failure = (error as Error).cause
        ? `${(error as Error).message}: ${String((error as Error & { cause: unknown }).cause)}`
        : (error as Error).message
    }
    await repo.recordNoticeAttempt(db, transactionNo, { error: failure })
    throw new NoticeNotAcknowledgedError(
      `Đơn vị chấp nhận thanh toán chưa xác nhận thông báo giao dịch ${transactionNo} (IPN not acknowledged): ${failure}`,
    )
  }

  /** Checks a payment request as a gateway does before showing anything. */
  function readRequest(rawQuery: string) {
    const params = parseQuery(rawQuery)
    if (!params || !verify(params, secret)) return { error: 'Chữ ký của yêu cầu thanh toán không hợp lệ.' }
    if (params.vnp_TmnCode !== merchant) return { error: 'Mã đơn vị chấp nhận thanh toán không đúng.' }
    if (
      params.vnp_Command !== 'pay' ||
      params.vnp_Version !== SANDBOX_VERSION ||
      params.vnp_CurrCode !== 'VND'
    )
      return { error: 'Phiên bản, lệnh hoặc loại tiền không được hỗ trợ.' }
    const amountRaw = params.vnp_Amount ?? ''
    const amount = /^\d{3,15}$/.test(amountRaw) && amountRaw.endsWith('00') ? Number(amountRaw) / 100 : 0
    const returnUrl = params.vnp_ReturnUrl ?? ''
    const expiresAt = parseGatewayTime(params.vnp_ExpireDate)
    const reference = params.vnp_TxnRef ?? ''
    if (
      amount <= 0 ||
      !/^[A-Za-z0-9.-]{1,60}$/.test(reference) ||
      !URL.canParse(returnUrl) ||
      !/^https?:$/.test(new URL(returnUrl).protocol) ||
      !expiresAt
    ) {
      return { error: 'Yêu cầu thanh toán thiếu hoặc sai tham số.' }
    }
    return {
      request: {
        merchant,
        txn_ref: reference,
        amount,
        order_info: (params.vnp_OrderInfo ?? '').slice(0, 255),
        return_url: returnUrl,
        created_at: clock(),
        expires_at: expiresAt,
      },
    }
  }

  const expired = (row: repo.SandboxTransaction) => row.status === 'pending' && clock() > row.expires_at

  const routes = async (app: FastifyInstance) => {
    const page = (reply: FastifyReply, title: string, children: Children, status = 200) =>
      sendPage(
        reply,
        <GatewayPage title={title} merchantName={options.merchantName}>
          {children}
        </GatewayPage>,
        status,
      )
    const problem = (reply: FastifyReply, message: string, status: number) =>
      page(
        reply,
        'Không thực hiện được giao dịch',
        <>
          <h1>Không thực hiện được giao dịch</h1>
          <p safe>{message}</p>
          <p>Vui lòng quay lại Cổng Dịch vụ công và thực hiện lại thanh toán.</p>
        </>,
        status,
      )

    const renderPayment = (
      request: FastifyRequest,
      reply: FastifyReply,
      row: repo.SandboxTransaction,
      values: PayForm = {},
      errors?: Record<string, string>,
      status = 200,
    ) => {
      const ctx = app.pageContext(request, reply)
      return page(
        reply,
        'Thanh toán',
        <>
          <h1>Thanh toán trực tuyến</h1>
          <ErrorSummary errors={errors} title="Chưa thanh toán được" />
          <table>
            <tbody>
              <tr>
                <th scope="row">Đơn vị chấp nhận thanh toán</th>
                <td id="merchant" safe>{`${options.merchantName} (${row.merchant})`}</td>
              </tr>
              <tr>
                <th scope="row">Nội dung</th>
                <td id="order-info" safe>
                  {row.order_info}
                </td>
              </tr>
              <tr>
                <th scope="row">Mã đơn hàng</th>
                <td safe>{row.txn_ref}</td>
              </tr>
              <tr>
                <th scope="row">Số tiền</th>
                <td id="amount">
                  <strong safe>{`${row.amount.toLocaleString('vi-VN')} VND`}</strong>
                </td>
              </tr>
              <tr>
                <th scope="row">Hết hạn thanh toán</th>
                <td safe>{formatDateTime(row.expires_at, 'vi')}</td>
              </tr>
            </tbody>
          </table>
          <form method="post" action={sandboxPaths.pay} novalidate>
            <CsrfField token={ctx.csrf} />
            <input type="hidden" name="transaction" value={String(row.transaction_no)} />
            <input type="hidden" name="token" value={formToken(row.transaction_no)} />
            <div class={errors?.cardNumber ? 'field field-error' : 'field'}>
              <label for="cardNumber">Số thẻ ngân hàng (thẻ thử nghiệm)</label>
              <p class="hint" id="cardNumber-hint">
                {`Môi trường thử nghiệm chỉ nhận thẻ ${TEST_CARD_SHOWN}.`}
              </p>
              {errors?.cardNumber ? (
                <p class="error-message" id="cardNumber-error" safe>
                  {errors.cardNumber}
                </p>
              ) : (
                ''
              )}
              <input
                id="cardNumber"
                name="cardNumber"
                inputmode="numeric"
                autocomplete="off"
                value={values.cardNumber ?? ''}
                aria-describedby={errors?.cardNumber ? 'cardNumber-hint cardNumber-error' : 'cardNumber-hint'}
                aria-invalid={errors?.cardNumber ? 'true' : undefined}
              />
            </div>
            <p class="actions">
              <button type="submit" name="outcome" value="succeeded">
                Thanh toán thành công
              </button>
              <button type="submit" name="outcome" value="failed" class="secondary">
                Thanh toán thất bại
              </button>
            </p>
          </form>
        </>,
        status,
      )
    }

    app.get(sandboxPaths.pay, async (request, reply) => {
      const raw = request.url.split('?')[1] ?? ''
      const read = readRequest(raw)
      if (!read.request) return problem(reply, read.error, 400)
      if (clock() > read.request.expires_at) {
        return problem(reply, 'Giao dịch đã quá thời gian chờ thanh toán.', 410)
      }
      const row = await repo.openTransaction(db, read.request)
      // The same reference may not be reused for another amount or another merchant site.
      if (row.amount !== read.request.amount || row.return_url !== read.request.return_url) {
        return problem(reply, 'Mã đơn hàng đã được dùng cho một giao dịch khác.', 409)
      }
      if (row.status !== 'pending') return reply.redirect(returnTo(row), 303)
      if (expired(row)) return problem(reply, 'Giao dịch đã quá thời gian chờ thanh toán.', 410)
      return renderPayment(request, reply, row)
    })

    app.post(sandboxPaths.pay, async (request, reply) => {
      const form = (request.body ?? {}) as PayForm
      const transactionNo = Number(form.transaction)
      const valid =
        Number.isSafeInteger(transactionNo) &&
        transactionNo > 0 &&
        typeof form.token === 'string' &&
        safeEqual(form.token, formToken(transactionNo))
      const row = valid ? await repo.findByNumber(db, transactionNo) : undefined
      if (!row) return problem(reply, 'Không tìm thấy giao dịch.', 404)
      if (row.status !== 'pending') return reply.redirect(returnTo(row), 303)
      if (expired(row)) return problem(reply, 'Giao dịch đã quá thời gian chờ thanh toán.', 410)
      const outcome = form.outcome === 'succeeded' ? 'succeeded' : form.outcome === 'failed' ? 'failed' : null
      if (!outcome)
        return renderPayment(request, reply, row, form, { cardNumber: 'Chọn kết quả thanh toán.' }, 422)
      const card = (form.cardNumber ?? '').replace(/[\s-]/g, '')
      if (outcome === 'succeeded' && card !== SANDBOX_TEST_CARD) {
        return renderPayment(
          request,
          reply,
          row,
          form,
          { cardNumber: `Số thẻ không đúng. Dùng thẻ thử nghiệm ${TEST_CARD_SHOWN}.` },
          422,
        )
      }
      const completed = await inTransaction(db, async (tx) => {
        const done = await repo.complete(tx, row.transaction_no, {
          status: outcome,
          response_code: outcome === 'succeeded' ? CODES.success : CODES.declined,
          bank_code: 'NCB',
          card_last4: /^\d{4,19}$/.test(card) ? card.slice(-4) : null,
          paid_at: clock(),
        })
        // The notice exists exactly when the result does.
        if (done) await enqueue(tx, 'payments.sandbox-notice', { transactionNo: done.transaction_no })
        return done
      })
      const final = completed ?? (await repo.findByNumber(db, row.transaction_no))!
      return reply.redirect(returnTo(final), 303)
    })

    // A GET, signed like everything else: the status query reads and changes nothing.
    app.get(sandboxPaths.query, async (request, reply) => {
      const params = parseQuery(request.url.split('?')[1] ?? '')
      if (!params || !verify(params, secret) || params.vnp_TmnCode !== merchant) {
        return reply.code(400).send({ vnp_ResponseCode: '97', vnp_Message: 'Invalid Checksum' })
      }
      if (params.vnp_Command !== 'querydr' || !params.vnp_TxnRef) {
        return reply.code(400).send({ vnp_ResponseCode: '03', vnp_Message: 'Invalid request' })
      }
      const row = await repo.findByRef(db, merchant, params.vnp_TxnRef)
      const base = {
        vnp_ResponseId: params.vnp_RequestId ?? '',
        vnp_Command: 'querydr',
        vnp_TmnCode: merchant,
        vnp_TxnRef: params.vnp_TxnRef,
      }
      if (!row) return sign({ ...base, vnp_ResponseCode: '91', vnp_Message: 'Transaction not found' }, secret)
      const transactionStatus =
        row.status === 'succeeded' ? '00' : row.status === 'failed' || expired(row) ? '02' : '01'
      return sign(
        {
          ...base,
          vnp_ResponseCode: '00',
          vnp_Message: 'QueryDR Success',
          vnp_Amount: String(row.amount * 100),
          vnp_OrderInfo: row.order_info,
          vnp_BankCode: row.bank_code ?? '',
          vnp_PayDate: row.paid_at ? gatewayTime(row.paid_at) : '',
          vnp_TransactionNo: String(row.transaction_no),
          vnp_TransactionType: '01',
          vnp_TransactionStatus: transactionStatus,
          // The result code of the payment itself (not of this query): 11 when it timed out unpaid.
          vnp_TransactionResponseCode: expired(row) ? CODES.expired : (row.response_code ?? ''),
        },
        secret,
      )
    })
  }

  return { routes, deliverNotice }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}

/** The gateway's own page: not the platform's layout, and unmistakably a sandbox. */
function GatewayPage(props: { title: string; merchantName: string; children: Children }) {
  return (
    <>
      {'<!doctype html>'}
      <html lang="vi">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title safe>{`${props.title} – Cổng thanh toán thử nghiệm (SANDBOX)`}</title>
          <link rel="stylesheet" href={assetUrl('app.css')} />
        </head>
        <body>
          <header class="site-header">
            <div class="container header-row">
              <span class="brand">
                <span class="brand-province">SANDBOX</span>
                <span class="brand-name">Cổng thanh toán thử nghiệm</span>
              </span>
            </div>
          </header>
          <main id="main" class="container">
            <div class="warning" role="note" id="sandbox-notice">
              <p>
                <strong>MÔI TRƯỜNG THỬ NGHIỆM (SANDBOX).</strong> Đây không phải cổng thanh toán thật: không
                có khoản tiền nào được chuyển. Chỉ dùng để thử quy trình nộp phí, lệ phí trực tuyến.
              </p>
            </div>
            {props.children}
          </main>
          <footer class="site-footer">
            <div class="container">
              <p class="muted" safe>
                {`Cổng thanh toán thử nghiệm, theo giao thức kiểu VNPay 2.1.0 — đơn vị chấp nhận thanh toán: ${props.merchantName}`}
              </p>
            </div>
          </footer>
        </body>
      </html>
    </>
  )
}
