import type { Actor } from '../../platform/auth/actor.js'
import type { FieldErrors } from '../../platform/http/errors.js'
import { common } from '../../platform/i18n/common.js'
import { translator } from '../../platform/i18n/index.js'
import { CsrfField, ErrorSummary, SelectField, TextField } from '../../platform/views/components.js'
import type { PageContext } from '../../platform/views/context.js'
import { formatDateTime, formatDay } from '../../platform/views/format.js'
import { Layout } from '../../platform/views/layout.js'
import { dossierPaths } from './dossier-paths.js'
import { actionLabel, statusLabel, type Action } from './dossier-workflow.js'
import { messages, type DossierKey } from './dossiers.locales.js'
import type { DossiersService } from './dossiers.service.js'
import { formatSize } from './documents.view.js'
import { DOSSIER_FORMS, FORMS } from './forms.pdf.js'
import { rulesById } from './one-stop-rules.js'
import { RatingForm, ResultForms } from './results.view.js'

/**
 * One dossier as its officers and its applicant see it: status and deadlines, fee, the signed forms, the
 * declared data, the files, the results, the rating, the actions the viewer may take, and the control slip.
 */
export function DossierPage({
  ctx,
  actor,
  view,
  labels,
  canReceive,
  errors,
}: {
  ctx: PageContext
  actor: Actor
  view: Awaited<ReturnType<DossiersService['get']>>
  /** Form field names to their labels in the procedure's form. */
  labels: ReadonlyMap<string, string>
  /** Whether the viewer receives dossiers at the dossier's unit (cash payments, results). */
  canReceive: boolean
  errors?: FieldErrors
}) {
  const { dossier, steps, history, actions, stepDueAt, files, results, rating } = view
  const t = translator(messages, ctx.lang)
  return (
    <Layout ctx={ctx} title={dossier.code} wide>
      <h1 safe>{dossier.code}</h1>
      <p class="lead" safe>
        {dossier.procedure_name}
      </p>
      <ErrorSummary errors={errors} title={translator(common, ctx.lang)('errorSummaryTitle')} />
      <table>
        <tbody>
          <tr>
            <th scope="row" safe>
              {t('status')}
            </th>
            <td>
              <strong>{statusLabel[dossier.status]}</strong>
            </td>
          </tr>
          <tr>
            <th scope="row" safe>
              {t('step')}
            </th>
            <td safe>{steps[dossier.step]?.label ?? ''}</td>
          </tr>
          <tr>
            <th scope="row" safe>
              {t('applicant')}
            </th>
            <td safe>{dossier.applicant_name}</td>
          </tr>
          <tr>
            <th scope="row" safe>
              {t('channel')}
            </th>
            <td safe>{t(`channel_${dossier.channel}` as DossierKey)}</td>
          </tr>
          <tr>
            <th scope="row" safe>
              {t('receivedAt')}
            </th>
            <td
              safe
            >{`${formatDateTime(dossier.received_at, ctx.lang)} (${formatDay(dossier.counts_from, ctx.lang)})`}</td>
          </tr>
          <tr>
            <th scope="row" safe>
              {t('dueAt')}
            </th>
            <td safe>{formatDateTime(dossier.due_at, ctx.lang)}</td>
          </tr>
          {stepDueAt ? (
            <tr>
              <th scope="row" safe>
                {t('stepDue')}
              </th>
              <td safe>{formatDateTime(stepDueAt, ctx.lang)}</td>
            </tr>
          ) : (
            ''
          )}
          <tr>
            <th scope="row" safe>
              {t('ruleVersion')}
            </th>
            <td safe>{rulesById(dossier.rule_version).legalBasis}</td>
          </tr>
          {dossier.fee_amount > 0 ? (
            <tr>
              <th scope="row" safe>
                {t('fee')}
              </th>
              <td id="fee" safe>
                {`${dossier.fee_amount.toLocaleString('vi-VN')} đồng — ${
                  dossier.fee_paid_at
                    ? t(dossier.fee_paid_online ? 'feePaidOnline' : 'feePaidCash', {
                        at: formatDateTime(dossier.fee_paid_at, ctx.lang),
                        reference: dossier.fee_reference ?? '',
                      })
                    : t(dossier.fee_timing === 'before_result' ? 'feeDueBeforeResult' : 'feeDueBeforeIntake')
                }`}
              </td>
            </tr>
          ) : (
            ''
          )}
        </tbody>
      </table>
      {dossier.fee_amount > 0 && !dossier.fee_paid_at && dossier.applicant_user_id === actor.userId ? (
        <p>
          <a class="button" href={dossierPaths.pay(dossier.code)} safe>
            {t('payOnline')}
          </a>
        </p>
      ) : (
        ''
      )}
      {dossier.fee_amount > 0 && !dossier.fee_paid_at && canReceive ? (
        <form method="post" action={dossierPaths.cashPayment(dossier.code)} novalidate>
          <CsrfField token={ctx.csrf} />
          <TextField name="reference" label={t('cashReceipt')} error={errors?.reference} maxlength={60} />
          <button type="submit" class="secondary" safe>
            {t('recordCash')}
          </button>
        </form>
      ) : (
        ''
      )}
      <h2 safe>{t('forms')}</h2>
      <ul class="forms">
        {DOSSIER_FORMS.filter(
          (no) =>
            (no !== '02' || history.some((h) => h.action === 'request_supplement')) &&
            (no !== '03' || history.some((h) => h.action === 'reject')) &&
            (no !== '04' || history.some((h) => h.action === 'extend')),
        ).map((no) => (
          <li>
            <a href={dossierPaths.form(dossier.code, no)} type="application/pdf" safe>
              {`Mẫu ${no}: ${FORMS[no]} (PDF, ${t('signed')})`}
            </a>
          </li>
        ))}
      </ul>
      <h2 safe>{t('formData')}</h2>
      <dl>
        {Object.entries(dossier.form_data).map(([k, v]) => (
          <>
            <dt safe>{labels.get(k) ?? k}</dt>
            <dd safe>{typeof v === 'boolean' ? (v ? t('yes') : t('no')) : String(v)}</dd>
          </>
        ))}
      </dl>
      <h2 safe>{t('files')}</h2>
      {files.length === 0 ? (
        <p class="muted" safe>
          {t('noFiles')}
        </p>
      ) : (
        <ul class="files">
          {files.map((f) => (
            <li>
              <span safe>{`${f.documentName || t('extraFile')}: `}</span>
              <a href={dossierPaths.file(dossier.code, f.id)} safe>
                {f.fileName}
              </a>{' '}
              <span
                class="muted"
                safe
              >{`(${formatSize(f.size, ctx.lang)}, ${formatDateTime(f.uploadedAt, ctx.lang)})`}</span>
            </li>
          ))}
        </ul>
      )}
      <h2 safe>{t('results')}</h2>
      {results.length === 0 ? (
        <p class="muted" safe>
          {t('noResults')}
        </p>
      ) : (
        <ul class="results">
          {results.map((r) => (
            <li>
              <a href={dossierPaths.result(dossier.code, r.id)} safe>
                {r.title}
              </a>{' '}
              <span class="muted" safe>
                {`(${t(r.kind === 'electronic' ? 'resultElectronic' : 'resultScan')}${r.signed ? `, ${t('signed')}` : ''}${
                  r.validUntil ? `, ${t('validUntil', { date: formatDay(r.validUntil, ctx.lang) })}` : ''
                })`}
              </span>
            </li>
          ))}
        </ul>
      )}
      {canReceive && (dossier.status === 'approved' || dossier.status === 'returned') ? (
        <ResultForms code={dossier.code} ctx={ctx} errors={errors} approved={dossier.status === 'approved'} />
      ) : (
        ''
      )}
      {dossier.applicant_user_id === actor.userId && dossier.status === 'returned' ? (
        <RatingForm code={dossier.code} ctx={ctx} errors={errors} rated={rating ?? null} />
      ) : (
        ''
      )}
      <h2 safe>{t('action')}</h2>
      {actions.length === 0 ? (
        <p safe>{t('noActions')}</p>
      ) : (
        <form
          method="post"
          action={dossierPaths.actions(dossier.code)}
          enctype={actions.includes('provide_supplement') ? 'multipart/form-data' : undefined}
          novalidate
        >
          <CsrfField token={ctx.csrf} />
          <SelectField
            name="action"
            label={t('chooseAction')}
            options={actions.map((a) => ({ value: a, label: actionLabel[a] }))}
            error={errors?.action}
            required
          />
          <TextField name="note" label={t('note')} error={errors?.note} maxlength={2000} />
          {actions.includes('extend') ? (
            <TextField name="days" label={t('days')} error={errors?.days} inputmode="numeric" />
          ) : (
            ''
          )}
          {actions.includes('provide_supplement') ? (
            <div class={errors?.fileIds ? 'field field-error' : 'field'}>
              <label for="fileIds" safe>
                {t('supplementFiles')}
              </label>
              {errors?.fileIds ? (
                <p class="error-message" id="fileIds-error" safe>
                  {errors.fileIds}
                </p>
              ) : (
                ''
              )}
              <input type="file" id="fileIds" name="files" multiple accept=".pdf,.jpg,.png" />
            </div>
          ) : (
            ''
          )}
          <button type="submit" safe>
            {t('doAction')}
          </button>
        </form>
      )}
      <h2 safe>{t('controlSlip')}</h2>
      <table>
        <thead>
          <tr>
            <th scope="col" safe>
              {t('time')}
            </th>
            <th scope="col" safe>
              {t('action')}
            </th>
            <th scope="col" safe>
              {t('handler')}
            </th>
            <th scope="col" safe>
              {t('status')}
            </th>
            <th scope="col" safe>
              {t('note')}
            </th>
          </tr>
        </thead>
        <tbody>
          {history.map((h) => (
            <tr>
              <td safe>{formatDateTime(h.at, ctx.lang)}</td>
              <td safe>{actionLabel[h.action as Action] ?? h.action}</td>
              <td safe>{h.actor_name ?? ''}</td>
              <td>
                <span safe>{statusLabel[h.to_status as keyof typeof statusLabel] ?? h.to_status}</span>
                {h.on_time === false ? (
                  <>
                    {' '}
                    <span class="tag tag-overdue" safe>
                      {t('late')}
                    </span>
                  </>
                ) : (
                  ''
                )}
              </td>
              <td safe>{h.note ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Layout>
  )
}
