import type { FieldErrors } from '../../platform/http/errors.js'
import { translator } from '../../platform/i18n/index.js'
import { CsrfField, TextField } from '../../platform/views/components.js'
import type { PageContext } from '../../platform/views/context.js'
import { formatDateTime, formatDay } from '../../platform/views/format.js'
import { Layout } from '../../platform/views/layout.js'
import { formatSize } from './documents.view.js'
import type { DossierFile } from './dossier-files.js'
import { dossierPaths } from './dossier-paths.js'
import { RATING_CRITERIA } from './dossier-ratings.js'
import type { DossierResult } from './dossier-results.js'
import { statusLabel } from './dossier-workflow.js'
import type { DossierRow } from './dossiers.repository.js'
import { messages } from './dossiers.locales.js'

/**
 * For the receiving officer: upload the result (electronic, signed by the unit unless already signed; or the
 * scan of a paper result), or generate it from the procedure's template.
 */
export function ResultForms(props: {
  code: string
  ctx: PageContext
  errors?: FieldErrors
  approved: boolean
}) {
  const t = translator(messages, props.ctx.lang)
  const error = props.errors?.resultFile
  return (
    <form method="post" action={dossierPaths.results(props.code)} enctype="multipart/form-data" novalidate>
      <CsrfField token={props.ctx.csrf} />
      <h3 safe>{t('issueResult')}</h3>
      <div class="field">
        <label for="kind" safe>
          {t('resultKind')}
        </label>
        <select id="kind" name="kind">
          {props.approved ? (
            <option value="electronic" safe>
              {t('resultElectronic')}
            </option>
          ) : (
            ''
          )}
          <option value="scan" safe>
            {t('resultScan')}
          </option>
        </select>
      </div>
      <TextField name="title" label={t('resultTitle')} maxlength={300} />
      <TextField
        name="validUntil"
        label={t('resultValidUntil')}
        type="date"
        error={props.errors?.validUntil}
      />
      <div class={error ? 'field field-error' : 'field'}>
        <label for="resultFile" safe>
          {t('resultFile')}
        </label>
        {error ? (
          <p class="error-message" id="resultFile-error" safe>
            {error}
          </p>
        ) : (
          ''
        )}
        <input type="file" id="resultFile" name="file" accept=".pdf,.jpg,.png" />
      </div>
      <button type="submit" safe>
        {t('storeResult')}
      </button>{' '}
      {props.approved ? (
        <button type="submit" name="generate" value="1" class="secondary" safe>
          {t('generateResult')}
        </button>
      ) : (
        ''
      )}
    </form>
  )
}

/** For the applicant, once the result is handed over: the criteria of TT 01/2018 Điều 13, once per dossier. */
export function RatingForm(props: {
  code: string
  ctx: PageContext
  errors?: FieldErrors
  rated: { total: number; max: number } | null
}) {
  const t = translator(messages, props.ctx.lang)
  if (props.rated) {
    return (
      <p id="rating" class="notice" safe>
        {t('ratedAlready', { total: props.rated.total, max: props.rated.max })}
      </p>
    )
  }
  const scores = ['2', '1', '0'] as const
  return (
    <form method="post" action={dossierPaths.rating(props.code)} novalidate>
      <CsrfField token={props.ctx.csrf} />
      <h2 safe>{t('rateTitle')}</h2>
      <p class="hint" safe>
        {t('rateIntro')}
      </p>
      {RATING_CRITERIA.map((criterion) => {
        const name = `c${criterion.no}`
        const error = props.errors?.[name]
        return (
          <fieldset class={error ? 'field field-error' : 'field'} id={name}>
            <legend safe>{`${criterion.no}. ${criterion.label}`}</legend>
            {error ? (
              <p class="error-message" safe>
                {error}
              </p>
            ) : (
              ''
            )}
            {criterion.options.map((label, i) => (
              <div class="radio">
                <input type="radio" id={`${name}-${scores[i]}`} name={name} value={scores[i]} />
                <label for={`${name}-${scores[i]}`}>{label}</label>
              </div>
            ))}
          </fieldset>
        )
      })}
      <TextField name="comment" label={t('rateComment')} maxlength={1000} error={props.errors?.comment} />
      <button type="submit" safe>
        {t('rateSubmit')}
      </button>
    </form>
  )
}

/** The citizen's data store: dossiers, results with their validity, documents they uploaded. */
export function DataStorePage(props: {
  ctx: PageContext
  store: { dossiers: DossierRow[]; results: DossierResult[]; documents: DossierFile[] }
}) {
  const { ctx, store } = props
  const t = translator(messages, ctx.lang)
  const today = new Date(Date.now() + 7 * 3_600_000).toISOString().slice(0, 10)
  return (
    <Layout ctx={ctx} title={t('storeTitle')}>
      <h1 safe>{t('storeTitle')}</h1>
      <p safe>{t('storeIntro')}</p>
      <h2 safe>{t('results')}</h2>
      {store.results.length === 0 ? (
        <p class="muted" safe>
          {t('noResults')}
        </p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col" safe>
                {t('resultTitle')}
              </th>
              <th scope="col" safe>
                {t('code')}
              </th>
              <th scope="col" safe>
                {t('issuedAt')}
              </th>
              <th scope="col" safe>
                {t('validity')}
              </th>
            </tr>
          </thead>
          <tbody>
            {store.results.map((r) => (
              <tr>
                <td>
                  <a href={dossierPaths.result(r.dossierCode, r.id)} safe>
                    {r.title}
                  </a>
                </td>
                <td safe>{r.dossierCode}</td>
                <td safe>{formatDateTime(r.issuedAt, ctx.lang)}</td>
                <td safe>
                  {r.validUntil
                    ? r.validUntil < today
                      ? t('expiredOn', { date: formatDay(r.validUntil, ctx.lang) })
                      : t('validUntil', { date: formatDay(r.validUntil, ctx.lang) })
                    : t('noExpiry')}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2 safe>{t('myDocuments')}</h2>
      {store.documents.length === 0 ? (
        <p class="muted" safe>
          {t('noFiles')}
        </p>
      ) : (
        <ul class="files">
          {store.documents.map((f) => (
            <li>
              <span
                safe
              >{`${f.fileName} (${formatSize(f.size, ctx.lang)}) – ${f.documentName || t('extraFile')}`}</span>
            </li>
          ))}
        </ul>
      )}
      <h2 safe>{t('myDossiers')}</h2>
      {store.dossiers.length === 0 ? (
        <p safe>{t('noDossiers')}</p>
      ) : (
        <ul>
          {store.dossiers.map((d) => (
            <li>
              <a href={dossierPaths.dossier(d.code)} safe>
                {d.code}
              </a>{' '}
              — <span safe>{`${d.procedure_name}: ${statusLabel[d.status]}`}</span>
            </li>
          ))}
        </ul>
      )}
    </Layout>
  )
}
