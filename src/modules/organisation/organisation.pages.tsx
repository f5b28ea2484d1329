import type { FieldErrors } from '../../platform/http/errors.js'
import { common } from '../../platform/i18n/common.js'
import { translator, type Translate } from '../../platform/i18n/index.js'
import type { PageContext } from '../../platform/views/context.js'
import {
  CheckboxField,
  CsrfField,
  ErrorSummary,
  SelectField,
  TextField,
} from '../../platform/views/components.js'
import { Layout } from '../../platform/views/layout.js'
import { formatDate, ORG_UNIT_TYPES, type OrgUnit, type OrgUnitType, type UnitNode } from './org-unit.js'
import { organisationMessages, type OrganisationMessageKey } from './organisation.locales.js'
import { organisationPaths as paths } from './organisation.paths.js'

type T = Translate<OrganisationMessageKey>

export function typeLabel(t: T, type: OrgUnitType): string {
  return t(`type_${type}`)
}

function validity(t: T, unit: OrgUnit): string {
  const from = formatDate(unit.validFrom)
  return unit.validTo
    ? t('validityRange', { from, to: formatDate(unit.validTo) })
    : t('validityOpen', { from })
}

type TreeProps = {
  t: T
  nodes: UnitNode[]
  matchIds: Set<string> | undefined
  canManage: (unit: OrgUnit) => boolean
}

function UnitTree({ t, nodes, matchIds, canManage }: TreeProps) {
  if (nodes.length === 0) return ''
  return (
    <ul class="tree">
      {nodes.map(({ unit, children }) => (
        <li id={`unit-${unit.id}`}>
          {matchIds?.has(unit.id) ? (
            <mark>
              <strong safe>{unit.name}</strong>
              <span class="visually-hidden" safe>{` (${t('match')})`}</span>
            </mark>
          ) : (
            <strong safe>{unit.name}</strong>
          )}{' '}
          <span class="tag" safe>
            {typeLabel(t, unit.type)}
          </span>{' '}
          {unit.isSample ? (
            <span class="tag" title={t('sampleTitle')} safe>
              {t('sample')}
            </span>
          ) : (
            ''
          )}{' '}
          {unit.requireTotp ? (
            <span class="tag" safe>
              {t('requireTotpTag')}
            </span>
          ) : (
            ''
          )}
          {canManage(unit) ? (
            <>
              {' '}
              <a href={paths.edit(unit.id)} aria-label={t('editLinkLabel', { name: unit.name })} safe>
                {t('editLink')}
              </a>
            </>
          ) : (
            ''
          )}
          <br />
          <span class="muted">
            {unit.agencyCode ? (
              <>
                <span safe>{`${t('agencyCodeShort')}: `}</span>
                <code safe>{unit.agencyCode}</code>
                {' · '}
              </>
            ) : (
              ''
            )}
            {unit.adminUnitCode ? (
              <>
                <span safe>{`${t('adminUnitCodeShort')}: `}</span>
                <code safe>{unit.adminUnitCode}</code>
                {' · '}
              </>
            ) : (
              ''
            )}
            <span safe>{`${t('validity')}: ${validity(t, unit)}`}</span>
          </span>
          <UnitTree t={t} nodes={children} matchIds={matchIds} canManage={canManage} />
        </li>
      ))}
    </ul>
  )
}

export type UnitListPageProps = {
  ctx: PageContext
  tree: UnitNode[]
  count: number
  matchIds: Set<string> | undefined
  filter: { activeOn: string; q: string }
  errors: FieldErrors | undefined
  canCreate: boolean
  canManage: (unit: OrgUnit) => boolean
}

export function UnitListPage(props: UnitListPageProps) {
  const t = translator(organisationMessages, props.ctx.lang)
  const c = translator(common, props.ctx.lang)
  return (
    <Layout ctx={props.ctx} title={t('listTitle')} wide>
      <h1 safe>{t('listTitle')}</h1>
      <p safe>{t('listIntro')}</p>
      <ErrorSummary errors={props.errors} title={c('errorSummaryTitle')} />
      <form method="get" action={paths.list} role="search" aria-labelledby="filter-title">
        <h2 id="filter-title" safe>
          {t('filterTitle')}
        </h2>
        <TextField
          name="activeOn"
          type="date"
          label={t('activeOn')}
          hint={t('activeOnHint')}
          value={props.filter.activeOn}
          error={props.errors?.activeOn}
        />
        <TextField
          name="q"
          type="search"
          label={t('search')}
          hint={t('searchHint')}
          value={props.filter.q}
          maxlength={200}
        />
        <div class="actions">
          <button type="submit" safe>
            {t('filterSubmit')}
          </button>
          <a href={paths.list} safe>
            {t('filterReset')}
          </a>
        </div>
      </form>
      {props.canCreate ? (
        <p class="actions">
          <a class="button" href={paths.create} safe>
            {t('createLink')}
          </a>
        </p>
      ) : (
        ''
      )}
      <p class="muted" role="status" safe>
        {props.count === 0 ? t('noResults') : t('resultCount', { count: props.count })}
      </p>
      <UnitTree t={t} nodes={props.tree} matchIds={props.matchIds} canManage={props.canManage} />
    </Layout>
  )
}

/** What the form shows: the unit's values, or exactly what was sent when it has to be corrected. */
export type UnitFormValues = {
  parentId: string
  name: string
  shortName: string
  type: string
  agencyCode: string
  adminUnitCode: string
  validFrom: string
  validTo: string
  requireTotp: boolean
}

export function formValuesOf(unit: OrgUnit): UnitFormValues {
  return {
    parentId: unit.parentId ?? '',
    name: unit.name,
    shortName: unit.shortName ?? '',
    type: unit.type,
    agencyCode: unit.agencyCode ?? '',
    adminUnitCode: unit.adminUnitCode ?? '',
    validFrom: unit.validFrom,
    validTo: unit.validTo ?? '',
    requireTotp: unit.requireTotp,
  }
}

export type UnitFormPageProps = {
  ctx: PageContext
  /** The unit being edited; absent when creating. */
  unit?: OrgUnit | undefined
  values: UnitFormValues
  errors: FieldErrors | undefined
  parentChoices: OrgUnit[]
}

export function UnitFormPage({ ctx, unit, values, errors, parentChoices }: UnitFormPageProps) {
  const t = translator(organisationMessages, ctx.lang)
  const c = translator(common, ctx.lang)
  const title = unit ? t('editTitle', { name: unit.name }) : t('createTitle')
  const isRoot = unit !== undefined && unit.parentId === null
  const parentOptions = parentChoices.map((choice) => ({
    value: choice.id,
    // Indentation shows the tree inside a plain select; no-break spaces are not collapsed.
    label: `${'\u00a0\u00a0\u00a0'.repeat(Math.max(0, choice.level - 1))}${choice.name}`,
  }))
  const typeOptions = ORG_UNIT_TYPES.map((type) => ({ value: type, label: typeLabel(t, type) }))
  return (
    <Layout ctx={ctx} title={errors ? `${c('errorSummaryTitle')}: ${title}` : title}>
      <p>
        <a href={paths.list} safe>
          {t('backToList')}
        </a>
      </p>
      <h1 safe>{title}</h1>
      <ErrorSummary errors={errors} title={c('errorSummaryTitle')} />
      <form method="post" action={unit ? paths.edit(unit.id) : paths.create} novalidate>
        <CsrfField token={ctx.csrf} />
        <SelectField
          name="parentId"
          label={t('parentId')}
          value={values.parentId}
          error={errors?.parentId}
          options={parentOptions}
          emptyLabel={isRoot ? t('parentNone') : t('parentChoose')}
        />
        <TextField
          name="name"
          label={t('name')}
          hint={t('nameHint')}
          value={values.name}
          error={errors?.name}
          maxlength={200}
        />
        <TextField
          name="shortName"
          label={t('shortName')}
          value={values.shortName}
          error={errors?.shortName}
          maxlength={100}
        />
        <SelectField
          name="type"
          label={t('type')}
          value={values.type}
          error={errors?.type}
          options={typeOptions}
          emptyLabel={t('typeChoose')}
        />
        <TextField
          name="agencyCode"
          label={t('agencyCode')}
          hint={t('agencyCodeHint')}
          value={values.agencyCode}
          error={errors?.agencyCode}
          maxlength={13}
        />
        <TextField
          name="adminUnitCode"
          label={t('adminUnitCode')}
          hint={t('adminUnitCodeHint')}
          value={values.adminUnitCode}
          error={errors?.adminUnitCode}
          inputmode="numeric"
          maxlength={5}
        />
        <TextField
          name="validFrom"
          type="date"
          label={t('validFrom')}
          hint={t('dateHint')}
          value={values.validFrom}
          error={errors?.validFrom}
        />
        <TextField
          name="validTo"
          type="date"
          label={t('validTo')}
          hint={t('dateHint')}
          value={values.validTo}
          error={errors?.validTo}
        />
        <CheckboxField
          name="requireTotp"
          label={t('requireTotp')}
          hint={t('requireTotpHint')}
          checked={values.requireTotp}
        />
        <div class="actions">
          <button type="submit" safe>
            {unit ? t('save') : t('create')}
          </button>
          <a href={paths.list} safe>
            {c('cancel')}
          </a>
        </div>
      </form>
      {unit ? (
        <>
          <h2 safe>{t('details')}</h2>
          <dl>
            <dt safe>{t('level')}</dt>
            <dd safe>{String(unit.level)}</dd>
            {unit.key ? (
              <>
                <dt safe>{t('key')}</dt>
                <dd>
                  <code safe>{unit.key}</code>
                </dd>
              </>
            ) : (
              ''
            )}
            {unit.source ? (
              <>
                <dt safe>{t('source')}</dt>
                <dd safe>{unit.source}</dd>
              </>
            ) : (
              ''
            )}
            {unit.isSample ? (
              <>
                <dt safe>{t('sample')}</dt>
                <dd safe>{t('sampleTitle')}</dd>
              </>
            ) : (
              ''
            )}
          </dl>
        </>
      ) : (
        ''
      )}
    </Layout>
  )
}
