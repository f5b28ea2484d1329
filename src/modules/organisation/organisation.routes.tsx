import type { FastifyPluginAsync } from 'fastify'
import { authorize, can } from '../../platform/auth/actor.js'
import { Permission } from '../../platform/auth/roles.js'
import { ValidationError, type FieldErrors } from '../../platform/http/errors.js'
import { auditContext, redirectWithFlash, sendPage } from '../../platform/http/plugin.js'
import { translator } from '../../platform/i18n/index.js'
import { buildTree, UNIT_FIELDS, type OrgUnit } from './org-unit.js'
import { organisationMessages } from './organisation.locales.js'
import { formValuesOf, UnitFormPage, UnitListPage, type UnitFormValues } from './organisation.pages.js'
import { organisationPaths as paths } from './organisation.paths.js'
import type { OrganisationService } from './organisation.service.js'

type Form = Record<string, unknown>

function text(form: Form, field: string): string {
  const value = form[field]
  return typeof value === 'string' ? value : ''
}

/** The unit's fields from a submitted form; an unticked checkbox sends nothing, which means "no". */
function unitInput(form: Form): Record<string, unknown> {
  const input: Record<string, unknown> = {}
  for (const field of UNIT_FIELDS) if (form[field] !== undefined) input[field] = form[field]
  input.requireTotp = form.requireTotp !== undefined
  return input
}

function sentValues(form: Form): UnitFormValues {
  return {
    parentId: text(form, 'parentId'),
    name: text(form, 'name'),
    shortName: text(form, 'shortName'),
    type: text(form, 'type'),
    agencyCode: text(form, 'agencyCode'),
    adminUnitCode: text(form, 'adminUnitCode'),
    validFrom: text(form, 'validFrom'),
    validTo: text(form, 'validTo'),
    requireTotp: form.requireTotp !== undefined,
  }
}

const emptyValues = (validFrom: string): UnitFormValues => ({
  parentId: '',
  name: '',
  shortName: '',
  type: '',
  agencyCode: '',
  adminUnitCode: '',
  validFrom,
  validTo: '',
  requireTotp: false,
})

/** The officials' pages: the tree of units, and the forms to add and edit one. */
export function organisationRoutes(service: OrganisationService): FastifyPluginAsync {
  return async (app) => {
    app.get(paths.list, async (request, reply) => {
      authorize(request.actor, Permission.unitsRead)
      const actor = request.actor
      const query = request.query as Record<string, unknown>
      // No date in the address means today; an emptied date field means every date.
      const filter = {
        activeOn: typeof query.activeOn === 'string' ? query.activeOn.trim() : service.today(),
        q: typeof query.q === 'string' ? query.q : '',
      }
      let errors: FieldErrors | undefined
      let result: Awaited<ReturnType<OrganisationService['listUnitsWithAncestors']>>
      try {
        result = await service.listUnitsWithAncestors(filter)
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error
        errors = error.fields
        result = await service.listUnitsWithAncestors({ q: filter.q, activeOn: service.today() })
      }
      const searching = filter.q.trim() !== ''
      return sendPage(
        reply,
        <UnitListPage
          ctx={app.pageContext(request, reply)}
          tree={buildTree(result.units)}
          count={result.matchIds.size}
          matchIds={searching ? result.matchIds : undefined}
          filter={filter}
          errors={errors}
          canCreate={can(actor, Permission.unitsManage)}
          canManage={(unit: OrgUnit) => service.canManage(actor, unit)}
        />,
        errors ? 400 : 200,
      )
    })

    app.get(paths.create, async (request, reply) => {
      authorize(request.actor, Permission.unitsManage)
      return sendPage(
        reply,
        <UnitFormPage
          ctx={app.pageContext(request, reply)}
          values={emptyValues(service.today())}
          errors={undefined}
          parentChoices={await service.listParentChoices(request.actor)}
        />,
      )
    })

    app.post(paths.create, async (request, reply) => {
      authorize(request.actor, Permission.unitsManage)
      const form = (request.body ?? {}) as Form
      try {
        const unit = await service.createUnit(request.actor, auditContext(request), unitInput(form))
        const t = translator(organisationMessages, request.lang)
        return redirectWithFlash(reply, paths.list, t('created', { name: unit.name }))
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error
        return sendPage(
          reply,
          <UnitFormPage
            ctx={app.pageContext(request, reply)}
            values={sentValues(form)}
            errors={error.fields}
            parentChoices={await service.listParentChoices(request.actor)}
          />,
          422,
        )
      }
    })

    app.get<{ Params: { id: string } }>(paths.editPattern, async (request, reply) => {
      const unit = await service.getUnitToManage(request.actor, request.params.id)
      authorize(request.actor, Permission.unitsManage, unit)
      return sendPage(
        reply,
        <UnitFormPage
          ctx={app.pageContext(request, reply)}
          unit={unit}
          values={formValuesOf(unit)}
          errors={undefined}
          parentChoices={await service.listParentChoices(request.actor, unit)}
        />,
      )
    })

    app.post<{ Params: { id: string } }>(paths.editPattern, async (request, reply) => {
      const form = (request.body ?? {}) as Form
      try {
        const unit = await service.updateUnit(
          request.actor,
          auditContext(request),
          request.params.id,
          unitInput(form),
        )
        const t = translator(organisationMessages, request.lang)
        return redirectWithFlash(reply, paths.list, t('updated', { name: unit.name }))
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error
        const unit = await service.getUnitToManage(request.actor, request.params.id)
        authorize(request.actor, Permission.unitsManage, unit)
        return sendPage(
          reply,
          <UnitFormPage
            ctx={app.pageContext(request, reply)}
            unit={unit}
            values={sentValues(form)}
            errors={error.fields}
            parentChoices={await service.listParentChoices(request.actor, unit)}
          />,
          422,
        )
      }
    })
  }
}
