import type { FieldErrors } from '../../platform/http/errors.js'
import { translator, type Lang, type Translate } from '../../platform/i18n/index.js'
import { ErrorSummary, TextField } from '../../platform/views/components.js'
import type { PageContext } from '../../platform/views/context.js'
import { formatDateTime, formatDay } from '../../platform/views/format.js'
import { Layout } from '../../platform/views/layout.js'
import { indicatorMessages, type IndicatorKey } from './indicators.locales.js'
import { indicatorPaths as paths } from './indicators.paths.js'
import type { Figures, UnitSummary } from './indicators.service.js'
import type { Ratio, Shares } from './qd766.js'

type T = Translate<IndicatorKey>

const numbers = { vi: new Intl.NumberFormat('vi-VN'), en: new Intl.NumberFormat('en-GB') }
const decimals = {
  vi: new Intl.NumberFormat('vi-VN', { maximumFractionDigits: 2 }),
  en: new Intl.NumberFormat('en-GB', { maximumFractionDigits: 2 }),
}

export function formatCount(value: number, lang: Lang): string {
  return numbers[lang].format(value)
}

/** "66,7 %" in Vietnamese, "66.7%" in English; a dash when there was nothing to count. */
export function formatPercent(value: number | null, lang: Lang): string {
  if (value === null) return '—'
  return lang === 'vi' ? `${decimals.vi.format(value)} %` : `${decimals.en.format(value)}%`
}

function formatPoints(value: number | null, lang: Lang): string {
  return value === null ? '—' : decimals[lang].format(value)
}

type Bar = { label: string; value: number; max: number; text: string }

/**
 * A horizontal bar chart drawn on the server: no script, presentation attributes only (the CSP forbids inline
 * styles). Each row is its label over its bar and value, 360 units wide: at its natural size on a desk screen,
 * shrunk to fit a phone (`meet`), never stretched. Screen readers get the title and a description listing every
 * value; the same numbers are in the table next to it.
 */
function BarChart(props: { id: string; title: string; bars: Bar[] }) {
  const row = 40
  const barWidth = 230
  const height = props.bars.length * row + 4
  const description = props.bars.map((b) => `${b.label}: ${b.text}`).join('; ')
  return (
    <svg
      role="img"
      aria-labelledby={`${props.id}-title ${props.id}-desc`}
      viewBox={`0 0 360 ${height}`}
      width="100%"
      height={String(height)}
      preserveAspectRatio="xMinYMin meet"
      font-size="13"
      font-family="system-ui, sans-serif"
    >
      <title id={`${props.id}-title`} safe>
        {props.title}
      </title>
      <desc id={`${props.id}-desc`} safe>
        {description}
      </desc>
      {props.bars.map((bar, i) => {
        const y = i * row
        const width = bar.max > 0 ? Math.round((Math.min(bar.value, bar.max) / bar.max) * barWidth) : 0
        return (
          <g>
            <text x="0" y={y + 13} fill="#1b1b1b" safe>
              {bar.label}
            </text>
            <rect x="0" y={y + 18} width={barWidth} height="14" fill="#e9ecef" />
            <rect x="0" y={y + 18} width={width} height="14" fill="#1d5fa8" />
            <text x={barWidth + 8} y={y + 30} fill="#1b1b1b" safe>
              {bar.text}
            </text>
          </g>
        )
      })}
    </svg>
  )
}

const SHARE_KEYS = [
  ['online', 'shareOnline'],
  ['onTime', 'shareOnTime'],
  ['onlineProcedures', 'shareOnlineProcedures'],
  ['digitised', 'shareDigitised'],
  ['electronicResults', 'shareElectronicResults'],
  ['paidOnline', 'sharePaidOnline'],
  ['satisfaction', 'shareSatisfaction'],
] as const satisfies readonly (readonly [keyof Shares, IndicatorKey])[]

function SharesSection({ figures, t, lang }: { figures: Figures; t: T; lang: Lang }) {
  return (
    <section aria-labelledby="shares">
      <h2 id="shares" safe>
        {t('sharesTitle')}
      </h2>
      <BarChart
        id="shares-chart"
        title={t('sharesChart')}
        bars={SHARE_KEYS.map(([key, label]) => {
          const share: Ratio = figures.shares[key]
          return {
            label: t(label),
            value: share.percent ?? 0,
            max: 100,
            text: share.percent === null ? t('noData') : formatPercent(share.percent, lang),
          }
        })}
      />
      <table>
        <thead>
          <tr>
            <th scope="col" safe>
              {t('measure')}
            </th>
            <th scope="col" safe>
              {t('numerator')}
            </th>
            <th scope="col" safe>
              {t('denominator')}
            </th>
            <th scope="col" safe>
              {t('percent')}
            </th>
          </tr>
        </thead>
        <tbody>
          {SHARE_KEYS.map(([key, label]) => {
            const share = figures.shares[key]
            return (
              <tr data-share={key}>
                <th scope="row" safe>
                  {t(label)}
                </th>
                <td safe>{formatCount(share.numerator, lang)}</td>
                <td safe>{formatCount(share.denominator, lang)}</td>
                <td safe>{formatPercent(share.percent, lang)}</td>
              </tr>
            )
          })}
        </tbody>
      </table>
    </section>
  )
}

function CountsSection({ figures, t, lang }: { figures: Figures; t: T; lang: Lang }) {
  const m = figures.measures
  const rows: [string, IndicatorKey, number | string, boolean][] = [
    ['received.total', 'received', m.received.total, false],
    ['received.online', 'receivedOnline', m.received.online, true],
    ['received.counter', 'receivedCounter', m.received.counter, true],
    ['resolved.total', 'resolved', m.resolved.total, false],
    ['resolved.early', 'resolvedEarly', m.resolved.early, true],
    ['resolved.onTime', 'resolvedOnTime', m.resolved.onTime, true],
    ['resolved.late', 'resolvedLate', m.resolved.late, true],
    ['rejected', 'rejected', m.rejected, false],
    ['withdrawn', 'withdrawn', m.withdrawn, false],
    ['inProgress.total', 'inProgress', m.inProgress.total, false],
    ['inProgress.onTime', 'inProgressOnTime', m.inProgress.onTime, true],
    ['inProgress.overdue', 'inProgressOverdue', m.inProgress.overdue, true],
    ['inProgress.paused', 'inProgressPaused', m.inProgress.paused, true],
    ['awaitingIntake', 'awaitingIntake', m.awaitingIntake, false],
    ['digitisation.counterReceived', 'counterReceived', m.digitisation.counterReceived, false],
    ['digitisation.digitised', 'digitised', m.digitisation.digitised, true],
    ['results.total', 'results', m.results.total, false],
    ['results.electronic', 'resultsElectronic', m.results.electronic, true],
    ['fees.dossiers', 'fees', m.fees.dossiers, false],
    ['fees.paidOnline', 'feesPaidOnline', m.fees.paidOnline, true],
    ['ratings.count', 'ratings', m.ratings.count, false],
    [
      'ratings.points',
      'ratingPoints',
      `${formatCount(m.ratings.total, lang)} / ${formatCount(m.ratings.max, lang)}`,
      true,
    ],
    ['procedures.total', 'procedures', m.procedures.total, false],
    ['procedures.online', 'proceduresOnline', m.procedures.online, true],
  ]
  const finished = m.resolved.early + m.resolved.onTime + m.resolved.late + m.rejected + m.withdrawn
  const outcome = (label: IndicatorKey, value: number): Bar => ({
    label: t(label),
    value,
    max: finished,
    text: formatCount(value, lang),
  })
  return (
    <section aria-labelledby="counts">
      <h2 id="counts" safe>
        {t('countsTitle')}
      </h2>
      <BarChart
        id="outcomes-chart"
        title={t('outcomesChart')}
        bars={[
          outcome('outcomeEarly', m.resolved.early),
          outcome('outcomeOnTime', m.resolved.onTime),
          outcome('outcomeLate', m.resolved.late),
          outcome('outcomeRejected', m.rejected),
          outcome('outcomeWithdrawn', m.withdrawn),
        ]}
      />
      <table>
        <thead>
          <tr>
            <th scope="col" safe>
              {t('measure')}
            </th>
            <th scope="col" safe>
              {t('count')}
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([key, label, value, sub]) => (
            <tr data-measure={key}>
              <th scope="row" class={sub ? 'sub' : undefined} safe>
                {sub ? `– ${t(label)}` : t(label)}
              </th>
              <td safe>{typeof value === 'number' ? formatCount(value, lang) : value}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}

function Qd766Section({ figures, t, lang }: { figures: Figures; t: T; lang: Lang }) {
  const groups = figures.qd766.groups
  return (
    <section aria-labelledby="qd766">
      <h2 id="qd766" safe>
        {t('qdTitle')}
      </h2>
      <p class="warning" safe>
        {figures.qd766.note}
      </p>
      <BarChart
        id="qd766-chart"
        title={t('qdChart')}
        bars={groups.map((g) => ({
          label: `${t('group')} ${g.id}: ${g.label}`,
          value: g.points ?? 0,
          max: 22,
          text:
            g.points === null
              ? `${t('notComputed')} / ${g.maxPoints}`
              : `${formatPoints(g.points, lang)} / ${g.maxPoints}`,
        }))}
      />
      <table>
        <thead>
          <tr>
            <th scope="col" safe>
              {t('component')}
            </th>
            <th scope="col" safe>
              {t('value')}
            </th>
            <th scope="col" safe>
              {t('maxPoints')}
            </th>
            <th scope="col" safe>
              {t('points')}
            </th>
            <th scope="col" safe>
              {t('confirmed')}
            </th>
            <th scope="col" safe>
              {t('note')}
            </th>
          </tr>
        </thead>
        {groups.map((g) => (
          <tbody data-group={g.id}>
            <tr>
              <th scope="rowgroup" safe>
                {`${t('group')} ${g.id}. ${g.label}`}
              </th>
              <td></td>
              <td safe>{String(g.maxPoints)}</td>
              <td safe>{g.points === null ? t('notComputed') : formatPoints(g.points, lang)}</td>
              <td safe>{g.maxConfirmed ? t('yes') : t('no')}</td>
              <td></td>
            </tr>
            {g.components.map((c) => (
              <tr data-component={c.key}>
                <th scope="row" class="sub" safe>
                  {c.label}
                </th>
                <td safe>
                  {c.measured && c.value ? formatPercent(c.value.percent, lang) : t('notMeasured')}
                </td>
                <td safe>{c.maxPoints === null ? '—' : String(c.maxPoints)}</td>
                <td safe>{formatPoints(c.points, lang)}</td>
                <td safe>{c.confirmed ? t('yes') : t('no')}</td>
                <td>
                  <span safe>{c.note}</span>{' '}
                  <span class="hint" safe>
                    {`${t('formula')}: ${c.formula}`}
                  </span>
                </td>
              </tr>
            ))}
          </tbody>
        ))}
      </table>
    </section>
  )
}

function CriteriaSection({ figures, t, lang }: { figures: Figures; t: T; lang: Lang }) {
  return (
    <section aria-labelledby="criteria">
      <h2 id="criteria" safe>
        {t('criteriaTitle')}
      </h2>
      <table>
        <thead>
          <tr>
            <th scope="col" safe>
              {t('criterion')}
            </th>
            <th scope="col" safe>
              {t('criterionRatings')}
            </th>
            <th scope="col" safe>
              {t('criterionAverage')}
            </th>
          </tr>
        </thead>
        <tbody>
          {figures.criteria.map((c) => (
            <tr data-criterion={String(c.criterion)}>
              <th scope="row" safe>
                {`${c.criterion}. ${c.label}`}
              </th>
              <td safe>{formatCount(c.ratings, lang)}</td>
              <td safe>{formatPoints(c.average, lang)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}

function ChildrenSection({ figures, t, lang }: { figures: Figures; t: T; lang: Lang }) {
  const { from, to } = figures.period
  return (
    <section aria-labelledby="children">
      <h2 id="children" safe>
        {t('childrenTitle')}
      </h2>
      {figures.children.length === 0 ? (
        <p safe>{t('childrenNone')}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col" safe>
                {t('unit')}
              </th>
              <th scope="col" safe>
                {t('childReceived')}
              </th>
              <th scope="col" safe>
                {t('childOnline')}
              </th>
              <th scope="col" safe>
                {t('childResolved')}
              </th>
              <th scope="col" safe>
                {t('childOnTime')}
              </th>
              <th scope="col" safe>
                {t('childOverdue')}
              </th>
              <th scope="col" safe>
                {t('childSatisfaction')}
              </th>
            </tr>
          </thead>
          <tbody>
            {figures.children.map((c) => (
              <tr data-unit={c.unit.id}>
                <th scope="row">
                  <a href={paths.pageFor({ unit: c.unit.id, from, to })} safe>
                    {c.unit.shortName ?? c.unit.name}
                  </a>
                </th>
                <td safe>{formatCount(c.received, lang)}</td>
                <td safe>{formatPercent(c.shares.online.percent, lang)}</td>
                <td safe>{formatCount(c.resolved, lang)}</td>
                <td safe>{formatPercent(c.shares.onTime.percent, lang)}</td>
                <td safe>{formatCount(c.overdue, lang)}</td>
                <td safe>{formatPercent(c.shares.satisfaction.percent, lang)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}

export type IndicatorsPageProps = {
  ctx: PageContext
  /** Null when the period was invalid: the form is shown again with the messages. */
  figures: Figures | null
  trail: UnitSummary[]
  values: { unit: string; from: string; to: string }
  errors?: FieldErrors
}

/** The staff page: one unit's subtree over a period, with drill-down to its subordinate units. */
export function IndicatorsPage({ ctx, figures, trail, values, errors }: IndicatorsPageProps) {
  const t = translator(indicatorMessages, ctx.lang)
  const lang = ctx.lang
  const title = figures ? t('titleFor', { unit: figures.unit.name }) : t('title')
  const period = figures?.period
  return (
    <Layout ctx={ctx} title={title} wide>
      {trail.length > 0 && period ? (
        <nav aria-label={t('trail')}>
          <ol class="breadcrumbs">
            {trail.map((u) => (
              <li>
                <a href={paths.pageFor({ unit: u.id, from: period.from, to: period.to })} safe>
                  {u.shortName ?? u.name}
                </a>
              </li>
            ))}
          </ol>
        </nav>
      ) : (
        ''
      )}
      <h1 safe>{title}</h1>
      <ErrorSummary errors={errors} title={t('errorTitle')} />
      <form method="get" action={paths.page} aria-label={t('filterTitle')}>
        {values.unit ? <input type="hidden" name="unit" value={values.unit} /> : ''}
        <TextField
          name="from"
          label={t('from')}
          type="date"
          value={values.from}
          error={errors?.from}
          hint={t('dateHint')}
        />
        <TextField name="to" label={t('to')} type="date" value={values.to} error={errors?.to} />
        <button type="submit" safe>
          {t('show')}
        </button>
      </form>
      {figures && period ? (
        <>
          <p safe>
            {t('period', {
              from: formatDay(period.from, lang),
              to: formatDay(period.to, lang),
              days: period.days,
              asOf: formatDateTime(new Date(figures.asOf), lang),
            })}
          </p>
          {figures.pendingEvents > 0 ? (
            <p class="warning" safe>
              {t('pending', { count: figures.pendingEvents })}
            </p>
          ) : (
            ''
          )}
          <p>
            <a href={paths.api.stats({ unit: figures.unit.id, from: period.from, to: period.to })} safe>
              {t('json')}
            </a>
          </p>
          <SharesSection figures={figures} t={t} lang={lang} />
          <CountsSection figures={figures} t={t} lang={lang} />
          <Qd766Section figures={figures} t={t} lang={lang} />
          <CriteriaSection figures={figures} t={t} lang={lang} />
          <ChildrenSection figures={figures} t={t} lang={lang} />
        </>
      ) : (
        ''
      )}
    </Layout>
  )
}
