import type { FastifyInstance } from 'fastify'
import { sendPage } from '../../platform/http/plugin.js'
import { translator, type Lang } from '../../platform/i18n/index.js'
import { SelectField, TextField } from '../../platform/views/components.js'
import { formatDay } from '../../platform/views/format.js'
import { Layout } from '../../platform/views/layout.js'
import type { OrganisationService } from '../organisation/index.js'
import { messages, type CatalogueKey } from './catalogue.locales.js'
import type { CatalogueService, ProcedureFilter } from './catalogue.service.js'
import { ONLINE_LEVELS, type Procedure } from './procedure.js'

export const cataloguePaths = {
  list: '/procedures',
  procedure: (code: string) => `/procedures/${code}`,
  // served by the dossiers module
  apply: (code: string) => `/procedures/${code}/apply`,
}

type Query = Record<string, string | undefined>

const vnd = new Intl.NumberFormat('vi-VN')

function processingTime(p: Procedure, lang: Lang) {
  const t = translator(messages, lang)
  return p.processingDays === 0 ? t('sameDay') : t('days', { days: p.processingDays })
}

export function catalogueRoutes(catalogue: CatalogueService, organisation: OrganisationService) {
  return async function routes(app: FastifyInstance) {
    app.get(cataloguePaths.list, async (request, reply) => {
      const query = request.query as Query
      const filter: ProcedureFilter = {
        q: (query.q ?? '').slice(0, 200),
        field: query.field || undefined,
        unitId: query.unit || undefined,
        level: query.level || undefined,
        after: query.after || undefined,
      }
      const [{ items, next }, fields, units] = await Promise.all([
        catalogue.search(filter),
        catalogue.fields(),
        organisation.listUnits({ activeOn: catalogue.today() }),
      ])
      const ctx = app.pageContext(request, reply)
      const t = translator(messages, ctx.lang)
      const nextUrl = next
        ? `${cataloguePaths.list}?${new URLSearchParams({ ...(filter.q ? { q: filter.q } : {}), ...(filter.field ? { field: filter.field } : {}), ...(filter.unitId ? { unit: filter.unitId } : {}), ...(filter.level ? { level: filter.level } : {}), after: next }).toString()}`
        : null
      return sendPage(
        reply,
        <Layout ctx={ctx} title={t('listTitle')}>
          <h1 safe>{t('listTitle')}</h1>
          <p safe>{t('listIntro')}</p>
          <form method="get" action={cataloguePaths.list} role="search" class="filters">
            <TextField
              name="q"
              type="search"
              label={t('searchLabel')}
              hint={t('searchHint')}
              value={filter.q}
            />
            <SelectField
              name="field"
              label={t('field')}
              emptyLabel={t('allFields')}
              options={fields.map((f) => ({ value: f, label: f }))}
              value={filter.field}
            />
            <SelectField
              name="unit"
              label={t('unit')}
              emptyLabel={t('allUnits')}
              options={units.filter((u) => u.type !== 'office').map((u) => ({ value: u.id, label: u.name }))}
              value={filter.unitId}
            />
            <SelectField
              name="level"
              label={t('level')}
              emptyLabel={t('allLevels')}
              options={ONLINE_LEVELS.map((l) => ({ value: l, label: t(`level_${l}`) }))}
              value={filter.level}
            />
            <button type="submit" safe>
              {t('search')}
            </button>
          </form>
          {items.length === 0 ? (
            <p class="warning" role="status" safe>
              {t('noResults')}
            </p>
          ) : (
            <ol class="results">
              {items.map((p) => (
                <li>
                  <h2>
                    <a href={cataloguePaths.procedure(p.code)} safe>
                      {p.name}
                    </a>
                  </h2>
                  <p class="muted">
                    <span safe>{`${t('code')}: ${p.code}`}</span> · <span safe>{p.field}</span> ·{' '}
                    <span safe>{processingTime(p, ctx.lang)}</span>{' '}
                    <span class="tag" safe>
                      {t(`level_${p.onlineLevel}`)}
                    </span>
                    {p.isSample ? (
                      <>
                        {' '}
                        <span class="tag" safe>
                          {t('sample')}
                        </span>
                      </>
                    ) : (
                      ''
                    )}
                  </p>
                </li>
              ))}
            </ol>
          )}
          {nextUrl ? (
            <p>
              <a href={nextUrl} safe>
                {t('nextPage')}
              </a>
            </p>
          ) : (
            ''
          )}
        </Layout>,
      )
    })

    app.get('/procedures/:code', async (request, reply) => {
      const procedure = await catalogue.getInForce((request.params as { code: string }).code)
      const units = await catalogue.performingUnits(procedure)
      const ctx = app.pageContext(request, reply)
      const t = translator(messages, ctx.lang)
      const feeTiming = t(`feeTiming_${procedure.feeTiming}` as CatalogueKey)
      return sendPage(
        reply,
        <Layout ctx={ctx} title={procedure.name}>
          <p>
            <a href={cataloguePaths.list} safe>
              {`← ${t('back')}`}
            </a>
          </p>
          <h1 safe>{procedure.name}</h1>
          {procedure.isSample ? (
            <p class="warning" safe>
              {t('sampleNote')}
            </p>
          ) : (
            ''
          )}
          <table>
            <tbody>
              <tr>
                <th scope="row" safe>
                  {t('code')}
                </th>
                <td safe>{procedure.code}</td>
              </tr>
              <tr>
                <th scope="row" safe>
                  {t('field')}
                </th>
                <td safe>{procedure.field}</td>
              </tr>
              <tr>
                <th scope="row" safe>
                  {t('level')}
                </th>
                <td safe>{t(`level_${procedure.onlineLevel}`)}</td>
              </tr>
              <tr>
                <th scope="row" safe>
                  {t('processingTime')}
                </th>
                <td safe>{processingTime(procedure, ctx.lang)}</td>
              </tr>
              <tr>
                <th scope="row" safe>
                  {t('fees')}
                </th>
                <td>
                  {procedure.fees.length === 0 ? (
                    <span safe>{t('noFee')}</span>
                  ) : (
                    <ul>
                      {procedure.fees.map((fee) => (
                        <li
                          safe
                        >{`${fee.name}: ${vnd.format(fee.amountVnd)} đồng${fee.note ? ` (${fee.note})` : ''}`}</li>
                      ))}
                    </ul>
                  )}
                  {feeTiming ? (
                    <p class="hint" safe>
                      {feeTiming}
                    </p>
                  ) : (
                    ''
                  )}
                </td>
              </tr>
              <tr>
                <th scope="row" safe>
                  {t('result')}
                </th>
                <td safe>{procedure.resultType ?? ''}</td>
              </tr>
              <tr>
                <th scope="row" safe>
                  {t('effective')}
                </th>
                <td safe>
                  {procedure.effectiveTo
                    ? t('effectiveRange', {
                        from: formatDay(procedure.effectiveFrom, ctx.lang),
                        to: formatDay(procedure.effectiveTo, ctx.lang),
                      })
                    : t('effectiveFrom', { from: formatDay(procedure.effectiveFrom, ctx.lang) })}
                </td>
              </tr>
            </tbody>
          </table>

          <h2 safe>{t('documents')}</h2>
          <table>
            <thead>
              <tr>
                <th scope="col" safe>
                  {t('documentName')}
                </th>
                <th scope="col" safe>
                  {t('documentKind')}
                </th>
                <th scope="col" safe>
                  {t('copies')}
                </th>
                <th scope="col" safe>
                  {t('requiredDoc')}
                </th>
              </tr>
            </thead>
            <tbody>
              {procedure.documents.map((d) => (
                <tr>
                  <td>
                    <span safe>{d.name}</span>
                    {d.template ? (
                      <span class="hint" safe>
                        {` (${t('template', { name: d.template })})`}
                      </span>
                    ) : (
                      ''
                    )}
                  </td>
                  <td safe>{t(`kind_${d.kind}`)}</td>
                  <td safe>{String(d.copies)}</td>
                  <td safe>{d.required ? t('yes') : t('no')}</td>
                </tr>
              ))}
            </tbody>
          </table>

          <h2 safe>{t('legalBasis')}</h2>
          <ul>
            {procedure.legalBasis.map((basis) => (
              <li safe>{basis}</li>
            ))}
          </ul>

          <h2 safe>{t('performingUnits')}</h2>
          {units.length > 8 ? (
            <details>
              <summary safe>{t('unitsCount', { count: units.length })}</summary>
              <ul>
                {units.map((u) => (
                  <li safe>{u.name}</li>
                ))}
              </ul>
            </details>
          ) : (
            <ul>
              {units.map((u) => (
                <li safe>{u.name}</li>
              ))}
            </ul>
          )}

          <h2 safe>{t('applyOnline')}</h2>
          {procedure.onlineLevel === 'none' ? (
            <p safe>{t('applyAtCounter')}</p>
          ) : request.actor?.kind === 'official' ? (
            <p class="notice" safe>
              {t('applyNotForOfficials')}
            </p>
          ) : (
            <>
              <p safe>{t('applyIntro')}</p>
              <p>
                <a class="button" href={cataloguePaths.apply(procedure.code)} safe>
                  {t('applyStart')}
                </a>
              </p>
            </>
          )}
        </Layout>,
      )
    })
  }
}
