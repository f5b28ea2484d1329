import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { UnauthenticatedError, type Actor } from '../../platform/auth/actor.js'
import type { Config } from '../../platform/config.js'
import { AppError, type FieldErrors } from '../../platform/http/errors.js'
import { sendDownload } from '../../platform/http/download.js'
import { auditContext, redirectWithFlash, sendPage } from '../../platform/http/plugin.js'
import { common } from '../../platform/i18n/common.js'
import { translator } from '../../platform/i18n/index.js'
import { CsrfField, ErrorSummary, Notice } from '../../platform/views/components.js'
import { formatDateTime } from '../../platform/views/format.js'
import { Layout } from '../../platform/views/layout.js'
import { dossierPaths } from '../dossiers/index.js'
import { amountInWords } from './amount-in-words.js'
import { messages, type PaymentKey } from './payments.locales.js'
import { paymentPaths } from './payments.paths.js'
import type { PaymentsService } from './payments.service.js'

function requireActor(request: FastifyRequest): Actor {
  if (!request.actor) throw new UnauthenticatedError()
  return request.actor
}

const money = (amount: number) => `${amount.toLocaleString('vi-VN')} đồng`
const rawQuery = (request: FastifyRequest) => request.url.split('?')[1] ?? ''

export type PaymentsRoutesOptions = {
  config: Pick<Config, 'publicUrl'>
  providerName: string
  /** Hands the module the HTTP server, whose address is where the gateway's notices go without PUBLIC_URL. */
  onServer: (server: FastifyInstance['server']) => void
}

/** The citizen's payment page, the gateway's callback and return, the receipt, and reconciliation. */
export function paymentsRoutes(payments: PaymentsService, options: PaymentsRoutesOptions) {
  const { config, providerName } = options
  return async function routes(app: FastifyInstance) {
    options.onServer(app.server)

    async function renderPay(
      request: FastifyRequest,
      reply: FastifyReply,
      code: string,
      errors?: FieldErrors,
      status = 200,
    ) {
      const actor = requireActor(request)
      const view = await payments.overview(actor, auditContext(request), code)
      const { dossier, attempts, recorded } = view
      const ctx = app.pageContext(request, reply)
      const t = translator(messages, ctx.lang)
      const feeState = dossier.fee_paid_at
        ? dossier.fee_paid_online
          ? t('paidOnline', {
              at: formatDateTime(dossier.fee_paid_at, ctx.lang),
              reference: dossier.fee_reference ?? '',
            })
          : t('paidCash', { at: formatDateTime(dossier.fee_paid_at, ctx.lang) })
        : attempts.some((a) => a.status === 'succeeded')
          ? t('waiting')
          : t(dossier.fee_timing === 'before_result' ? 'unpaidBeforeResult' : 'unpaidBeforeIntake')
      return sendPage(
        reply,
        <Layout ctx={ctx} title={t('payTitle')}>
          <h1 safe>{t('payTitle')}</h1>
          <ErrorSummary errors={errors} title={translator(common, ctx.lang)('errorSummaryTitle')} />
          {view.provider.isSandbox ? (
            <div class="warning" role="note">
              <p safe>{t('sandboxNotice')}</p>
            </div>
          ) : (
            ''
          )}
          {dossier.fee_amount <= 0 ? (
            <p safe>{t('noFee')}</p>
          ) : (
            <table>
              <tbody>
                <tr>
                  <th scope="row" safe>
                    {t('dossier')}
                  </th>
                  <td safe>{dossier.code}</td>
                </tr>
                <tr>
                  <th scope="row" safe>
                    {t('procedure')}
                  </th>
                  <td safe>{dossier.procedure_name}</td>
                </tr>
                <tr>
                  <th scope="row" safe>
                    {t('purpose')}
                  </th>
                  <td safe>{t('purposeText', { code: dossier.code })}</td>
                </tr>
                <tr>
                  <th scope="row" safe>
                    {t('amount')}
                  </th>
                  <td id="amount">
                    <strong safe>{money(dossier.fee_amount)}</strong>{' '}
                    <span class="muted" safe>{`(${amountInWords(dossier.fee_amount)})`}</span>
                  </td>
                </tr>
                <tr>
                  <th scope="row" safe>
                    {t('feeState')}
                  </th>
                  <td id="fee-state" safe>
                    {feeState}
                  </td>
                </tr>
              </tbody>
            </table>
          )}
          {view.canPay ? (
            <form method="post" action={paymentPaths.pay(dossier.code)} novalidate>
              <CsrfField token={ctx.csrf} />
              <p class="hint" safe>
                {t('payHint', { provider: view.provider.label })}
              </p>
              <button type="submit" safe>
                {t('payButton')}
              </button>
            </form>
          ) : (
            ''
          )}
          {recorded ? (
            <p>
              <a href={paymentPaths.receipt(dossier.code)} type="application/pdf" safe>
                {t('receipt')}
              </a>
            </p>
          ) : (
            ''
          )}
          {attempts.length > 0 ? (
            <>
              <h2 safe>{t('attempts')}</h2>
              <table>
                <thead>
                  <tr>
                    <th scope="col" safe>
                      {t('attempt')}
                    </th>
                    <th scope="col" safe>
                      {t('time')}
                    </th>
                    <th scope="col" safe>
                      {t('amount')}
                    </th>
                    <th scope="col" safe>
                      {t('status')}
                    </th>
                    <th scope="col" safe>
                      {t('reference')}
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {attempts.map((a) => (
                    <tr>
                      <td safe>{String(a.attempt)}</td>
                      <td safe>{formatDateTime(a.created_at, ctx.lang)}</td>
                      <td safe>{money(a.amount)}</td>
                      <td safe>{t(`status_${a.status}` as PaymentKey)}</td>
                      <td>
                        <code safe>{a.reference}</code>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          ) : (
            ''
          )}
          <p>
            <a href={dossierPaths.dossier(dossier.code)} safe>
              {t('backToDossier')}
            </a>
          </p>
        </Layout>,
        status,
      )
    }

    app.get('/dossiers/:code/pay', async (request, reply) =>
      renderPay(request, reply, (request.params as { code: string }).code),
    )

    app.post('/dossiers/:code/pay', async (request, reply) => {
      const actor = requireActor(request)
      const { code } = request.params as { code: string }
      const origin = config.publicUrl?.replace(/\/+$/, '') ?? `${request.protocol}://${request.host}`
      try {
        const { redirectUrl } = await payments.start(actor, auditContext(request), code, {
          returnUrl: `${origin}${paymentPaths.return(providerName)}`,
          clientIp: request.ip,
        })
        return await reply.redirect(redirectUrl, 303)
      } catch (error) {
        if (error instanceof AppError && error.statusCode === 409) {
          return renderPay(request, reply, code, { pay: error.message }, 409)
        }
        throw error
      }
    })

    // The provider's server-to-server notice (IPN): a GET with signed parameters, as VNPay sends it.
    app.get('/payments/callback/:provider', async (request, reply) => {
      if ((request.params as { provider: string }).provider !== providerName) {
        return reply.code(404).send({ RspCode: '01', Message: 'Unknown provider' })
      }
      try {
        const answer = await payments.handleCallback(rawQuery(request), request.ip, request.id)
        if (answer.status >= 400) request.log.warn({ answer: answer.body }, 'payment notice refused')
        return await reply.code(answer.status).send(answer.body)
      } catch (error) {
        // Unanswered, the provider sends the notice again later; nothing was half-applied.
        request.log.error({ err: error }, 'payment notice failed')
        return reply.code(500).send({ RspCode: '99', Message: 'Unknown error' })
      }
    })

    app.get('/payments/return/:provider', async (request, reply) => {
      const actor = requireActor(request)
      const ctx = app.pageContext(request, reply)
      const t = translator(messages, ctx.lang)
      const result = await payments.describeReturn(actor, rawQuery(request))
      if (!result.verified) {
        return sendPage(
          reply,
          <Layout ctx={ctx} title={t('returnTitle')}>
            <h1 safe>{t('returnTitle')}</h1>
            <p id="outcome" safe>
              {t('returnUnverified')}
            </p>
          </Layout>,
          400,
        )
      }
      const { notice, payment } = result
      const code = payment.dossier_code
      const message =
        notice.outcome === 'failed'
          ? t('returnFailed', { responseCode: notice.responseCode })
          : payment.recorded
            ? t('returnRecorded', { code })
            : payment.record_problem
              ? t('returnProblem')
              : t('returnWaiting', { code })
      return sendPage(
        reply,
        <Layout ctx={ctx} title={t('returnTitle')}>
          <h1 safe>{t('returnTitle')}</h1>
          {notice.outcome === 'succeeded' ? (
            <Notice>
              <p id="outcome" safe>
                {message}
              </p>
            </Notice>
          ) : (
            <div class="warning" role="alert">
              <p id="outcome" safe>
                {message}
              </p>
            </div>
          )}
          <p safe>{`${t('reference')}: ${payment.reference} — ${money(notice.amount)}`}</p>
          <ul>
            {payment.recorded ? (
              <li>
                <a href={paymentPaths.receipt(code)} type="application/pdf" safe>
                  {t('receipt')}
                </a>
              </li>
            ) : (
              ''
            )}
            {notice.outcome === 'failed' ? (
              <li>
                <a href={paymentPaths.pay(code)} safe>
                  {t('payAgain')}
                </a>
              </li>
            ) : (
              ''
            )}
            <li>
              <a href={dossierPaths.dossier(code)} safe>
                {t('backToDossier')}
              </a>
            </li>
          </ul>
        </Layout>,
      )
    })

    app.get('/dossiers/:code/pay/receipt', async (request, reply) => {
      const actor = requireActor(request)
      const { pdf, payment } = await payments.receipt(
        actor,
        auditContext(request),
        (request.params as { code: string }).code,
      )
      return sendDownload(
        reply,
        { fileName: `bien-lai-${payment.dossier_code}.pdf`, mime: 'application/pdf' },
        pdf,
      )
    })

    app.get(paymentPaths.reconciliation, async (request, reply) => {
      const actor = requireActor(request)
      const report = await payments.reconciliation(actor, (request.query as { day?: string }).day)
      const ctx = app.pageContext(request, reply)
      const t = translator(messages, ctx.lang)
      return sendPage(
        reply,
        <Layout ctx={ctx} title={t('reconciliationTitle')} wide>
          <h1 safe>{t('reconciliationTitle')}</h1>
          <form method="get" action={paymentPaths.reconciliation} class="inline-form">
            <label for="day" safe>
              {t('day')}
            </label>{' '}
            <input type="date" id="day" name="day" value={report.day} />{' '}
            <button type="submit" class="secondary" safe>
              {t('show')}
            </button>
          </form>
          <form method="post" action={paymentPaths.recheck}>
            <CsrfField token={ctx.csrf} />
            <input type="hidden" name="day" value={report.day} />
            <button type="submit" safe>
              {t('recheck')}
            </button>
          </form>
          <h2 safe>{t('byStatus')}</h2>
          <table id="by-status">
            <thead>
              <tr>
                <th scope="col" safe>
                  {t('status')}
                </th>
                <th scope="col" safe>
                  {t('count')}
                </th>
                <th scope="col" safe>
                  {t('amount')}
                </th>
              </tr>
            </thead>
            <tbody>
              {report.byStatus.map((row) => (
                <tr data-status={row.status}>
                  <td safe>{t(`status_${row.status}` as PaymentKey)}</td>
                  <td safe>{String(row.count)}</td>
                  <td safe>{money(row.amount)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p id="totals" safe>
            {`${t('totalAttempts', { count: report.totals.attempts, amount: report.totals.amount.toLocaleString('vi-VN') })}. ${t(
              'totalSucceeded',
              {
                amount: report.totals.succeededAmount.toLocaleString('vi-VN'),
                recorded: report.totals.recordedAmount.toLocaleString('vi-VN'),
              },
            )}.`}
          </p>
          <h2 safe>{t('flags')}</h2>
          {report.flags.length === 0 ? (
            <p safe>{t('noFlags')}</p>
          ) : (
            <table id="flags">
              <thead>
                <tr>
                  <th scope="col" safe>
                    {t('time')}
                  </th>
                  <th scope="col" safe>
                    {t('flagKind')}
                  </th>
                  <th scope="col" safe>
                    {t('dossier')}
                  </th>
                  <th scope="col" safe>
                    {t('reference')}
                  </th>
                  <th scope="col" safe>
                    {t('detail')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {report.flags.map((flag) => (
                  <tr data-flag={flag.kind}>
                    <td safe>{formatDateTime(flag.at, ctx.lang)}</td>
                    <td>
                      <span class="tag tag-overdue" safe>
                        {t(`flag_${flag.kind}` as PaymentKey)}
                      </span>
                    </td>
                    <td>
                      {flag.dossierCode ? (
                        <a href={paymentPaths.pay(flag.dossierCode)} safe>
                          {flag.dossierCode}
                        </a>
                      ) : (
                        ''
                      )}
                    </td>
                    <td>
                      <code safe>{flag.reference ?? ''}</code>
                    </td>
                    <td safe>{flag.detail}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h2 safe>{t('payments')}</h2>
          {report.payments.length === 0 ? (
            <p safe>{t('noPayments')}</p>
          ) : (
            <table id="payments">
              <thead>
                <tr>
                  <th scope="col" safe>
                    {t('time')}
                  </th>
                  <th scope="col" safe>
                    {t('dossier')}
                  </th>
                  <th scope="col" safe>
                    {t('reference')}
                  </th>
                  <th scope="col" safe>
                    {t('amount')}
                  </th>
                  <th scope="col" safe>
                    {t('status')}
                  </th>
                  <th scope="col" safe>
                    {t('recorded')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {report.payments.map((p) => (
                  <tr data-status={p.status}>
                    <td safe>{formatDateTime(p.created_at, ctx.lang)}</td>
                    <td>
                      <a href={paymentPaths.pay(p.dossier_code)} safe>
                        {p.dossier_code}
                      </a>
                    </td>
                    <td>
                      <code safe>{p.reference}</code>
                    </td>
                    <td safe>{money(p.amount)}</td>
                    <td safe>{t(`status_${p.status}` as PaymentKey)}</td>
                    <td safe>{p.recorded ? t('yes') : t('no')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Layout>,
      )
    })

    app.post(paymentPaths.recheck, async (request, reply) => {
      const actor = requireActor(request)
      const counts = await payments.recheck(actor, auditContext(request))
      const day = (request.body as { day?: string } | undefined)?.day
      const back =
        day && /^\d{4}-\d{2}-\d{2}$/.test(day)
          ? paymentPaths.reconciliationDay(day)
          : paymentPaths.reconciliation
      return redirectWithFlash(reply, back, translator(messages, request.lang)('rechecked', counts))
    })
  }
}
