import type { Children } from '@kitajs/html'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { authorize, UnauthenticatedError, type Actor } from '../../platform/auth/actor.js'
import { Permission } from '../../platform/auth/roles.js'
import type { Config } from '../../platform/config.js'
import { AppError, ValidationError, type FieldErrors } from '../../platform/http/errors.js'
import { auditContext, redirectWithFlash, sendPage } from '../../platform/http/plugin.js'
import { readMultipart } from '../../platform/http/uploads.js'
import { common } from '../../platform/i18n/common.js'
import { translator } from '../../platform/i18n/index.js'
import {
  CsrfField,
  ErrorSummary,
  PostButton,
  SelectField,
  TextField,
} from '../../platform/views/components.js'
import type { PageContext } from '../../platform/views/context.js'
import { formatDateTime } from '../../platform/views/format.js'
import { Layout } from '../../platform/views/layout.js'
import type { StoredAttachment } from './document-files.js'
import { sendFile, TextArea } from './documents.view.js'
import { meetingCalendar } from './meetings-calendar.js'
import { meetingMessages, type MeetingKey } from './meetings.locales.js'
import { meetingPaths } from './meetings.paths.js'
import { agendaLine, localInputValue, meetingActionLabel, type MeetingsService } from './meetings.service.js'

type Form = Record<string, string | string[] | undefined>
type Params = { id: string }

function requireOfficial(request: FastifyRequest): Actor {
  if (!request.actor) throw new UnauthenticatedError()
  authorize(request.actor, Permission.backofficeAccess)
  return request.actor
}

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)
const list = (v: string | string[] | undefined) => (Array.isArray(v) ? v : v ? [v] : [])

/** Units from outside the organiser's own whose people may be invited: chosen first, then the form shows them. */
function GuestUnitsForm(props: {
  t: (key: MeetingKey) => string
  action: string
  error: string | undefined
  units: { id: string; name: string }[]
  guests: { id: string }[]
}) {
  const { t } = props
  return (
    <form method="get" action={props.action} id="guests" novalidate>
      <div class={props.error ? 'field field-error' : 'field'}>
        <label for="guestUnitIds" safe>
          {t('guestUnits')}
        </label>
        <p class="hint" safe>
          {t('guestUnitsHint')}
        </p>
        <select id="guestUnitIds" name="guestUnitIds" multiple="multiple" size="5">
          {props.units.map((u) => (
            <option value={u.id} selected={props.guests.some((g) => g.id === u.id)} safe>
              {u.name}
            </option>
          ))}
        </select>
      </div>
      <button type="submit" class="secondary" safe>
        {t('showGuests')}
      </button>
    </form>
  )
}

/**
 * The fields a meeting is convened and edited with: title, time, place, attendees (with what comes before them,
 * e.g. the chair when convening), agenda and video link.
 */
function MeetingFields(props: {
  t: (key: MeetingKey) => string
  values: Form
  errors: FieldErrors | undefined
  people: { id: string; fullName: string }[]
  selected: (id: string) => boolean
  attendeesHint: string
  children?: Children
}) {
  const { t, values, errors, children } = props
  return (
    <>
      <TextField
        name="title"
        label={t('title')}
        value={one(values.title)}
        error={errors?.title}
        maxlength={500}
        required
      />
      <TextField
        name="startsAt"
        label={t('startsAt')}
        type="datetime-local"
        value={one(values.startsAt)}
        error={errors?.startsAt}
        required
      />
      <TextField
        name="endsAt"
        label={t('endsAt')}
        type="datetime-local"
        value={one(values.endsAt)}
        error={errors?.endsAt}
      />
      <TextField
        name="place"
        label={t('place')}
        value={one(values.place)}
        error={errors?.place}
        maxlength={300}
        required
      />
      {children}
      <div class={errors?.attendeeIds ? 'field field-error' : 'field'}>
        <label for="attendeeIds" safe>
          {t('attendees')}
        </label>
        <p class="hint" id="attendeeIds-hint" safe>
          {props.attendeesHint}
        </p>
        {errors?.attendeeIds ? (
          <p class="error-message" id="attendeeIds-error" lang="vi" safe>
            {errors.attendeeIds}
          </p>
        ) : (
          ''
        )}
        <select
          id="attendeeIds"
          name="attendeeIds"
          multiple="multiple"
          size="8"
          aria-describedby="attendeeIds-hint"
        >
          {props.people.map((p) => (
            <option value={p.id} selected={props.selected(p.id)} safe>
              {p.fullName}
            </option>
          ))}
        </select>
      </div>
      <TextArea
        name="agenda"
        label={t('agenda')}
        hint={t('agendaHint')}
        value={one(values.agenda)}
        error={errors?.agenda}
        rows={5}
        required
      />
      <TextField
        name="videoUrl"
        label={t('videoUrl')}
        hint={t('videoUrlHint')}
        type="url"
        value={one(values.videoUrl)}
        error={errors?.videoUrl}
        maxlength={500}
      />
    </>
  )
}

export function meetingsRoutes(
  meetings: MeetingsService,
  { secretKey, publicUrl }: Pick<Config, 'secretKey' | 'publicUrl'>,
) {
  return async function routes(app: FastifyInstance) {
    const texts = (ctx: PageContext) => ({
      t: translator(meetingMessages, ctx.lang),
      summaryTitle: translator(common, ctx.lang)('errorSummaryTitle'),
    })

    app.get(meetingPaths.mine, async (request, reply) => {
      const actor = requireOfficial(request)
      const rows = await meetings.mine(actor)
      const ctx = app.pageContext(request, reply)
      const { t } = texts(ctx)
      const answer = (response: string | null) => (response ? t(`response_${response}` as MeetingKey) : '—')
      return sendPage(
        reply,
        <Layout ctx={ctx} title={t('mineTitle')} wide>
          <h1 safe>{t('mineTitle')}</h1>
          <p>
            <a href={meetingPaths.create} safe>
              {t('newTitle')}
            </a>
          </p>
          {rows.length === 0 ? (
            <p class="muted" safe>
              {t('none')}
            </p>
          ) : (
            <table id="meetings">
              <thead>
                <tr>
                  <th scope="col" safe>
                    {t('startsAt')}
                  </th>
                  <th scope="col" safe>
                    {t('title')}
                  </th>
                  <th scope="col" safe>
                    {t('place')}
                  </th>
                  <th scope="col" safe>
                    {t('status')}
                  </th>
                  <th scope="col" safe>
                    {t('response')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((m) => (
                  <tr>
                    <td safe>{formatDateTime(m.starts_at, ctx.lang)}</td>
                    <td>
                      <a href={meetingPaths.meeting(m.id)} safe>
                        {m.title}
                      </a>
                    </td>
                    <td safe>{m.place}</td>
                    <td safe>{t(`status_${m.status}` as MeetingKey)}</td>
                    <td safe>{answer(m.my_response)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Layout>,
      )
    })

    async function renderCreate(
      request: FastifyRequest,
      reply: FastifyReply,
      actor: Actor,
      values: Form,
      errors?: FieldErrors,
    ) {
      const ctx = app.pageContext(request, reply)
      const { t, summaryTitle } = texts(ctx)
      const guestIds = list(values.guestUnitIds ?? (request.query as Form).guestUnitIds)
      const { units, guests, allUnits, people } = await meetings.choices(actor, guestIds)
      const chosen = new Set(list(values.attendeeIds))
      return sendPage(
        reply,
        <Layout ctx={ctx} title={t('newTitle')}>
          <h1 safe>{t('newTitle')}</h1>
          <ErrorSummary errors={errors} title={summaryTitle} />
          <GuestUnitsForm
            t={t}
            action={meetingPaths.create}
            error={errors?.guestUnitIds}
            units={allUnits.filter((u) => !units.includes(u))}
            guests={guests}
          />
          <form method="post" action={meetingPaths.create} novalidate>
            <CsrfField token={ctx.csrf} />
            {guests.map((u) => (
              <input type="hidden" name="guestUnitIds" value={u.id} />
            ))}
            {units.length === 1 ? (
              <input type="hidden" name="unitId" value={units[0]!.id} />
            ) : (
              <SelectField
                name="unitId"
                label={t('unit')}
                emptyLabel="—"
                options={units.map((u) => ({ value: u.id, label: u.name }))}
                value={one(values.unitId)}
                error={errors?.unitId}
                required
              />
            )}
            <MeetingFields
              t={t}
              values={values}
              errors={errors}
              people={people}
              selected={(id) => chosen.has(id)}
              attendeesHint={t('attendeesHint')}
            >
              <SelectField
                name="chairId"
                label={t('chair')}
                options={people.map((p) => ({ value: p.id, label: p.fullName }))}
                value={one(values.chairId)}
                error={errors?.chairId}
              />
            </MeetingFields>
            <button type="submit" safe>
              {t('submitCreate')}
            </button>
          </form>
        </Layout>,
        errors ? 422 : 200,
      )
    }

    app.get(meetingPaths.create, async (request, reply) =>
      renderCreate(request, reply, requireOfficial(request), {}),
    )

    app.post(meetingPaths.create, async (request, reply) => {
      const actor = requireOfficial(request)
      const body = (request.body ?? {}) as Form
      try {
        const meeting = await meetings.create(actor, auditContext(request), body)
        return redirectWithFlash(
          reply,
          meetingPaths.meeting(meeting.id),
          translator(meetingMessages, request.lang)('created'),
        )
      } catch (error) {
        if (error instanceof ValidationError) return renderCreate(request, reply, actor, body, error.fields)
        throw error
      }
    })

    async function renderMeeting(
      request: FastifyRequest,
      reply: FastifyReply,
      id: string,
      errors?: FieldErrors,
      status = 200,
    ) {
      const actor = requireOfficial(request)
      const view = await meetings.get(actor, id)
      const { meeting: m } = view
      const linkable = view.can.addDocuments ? await meetings.linkable(actor) : []
      const ctx = app.pageContext(request, reply)
      const { t, summaryTitle } = texts(ctx)
      const row = (label: string, value: string) => (
        <>
          <dt safe>{label}</dt>
          <dd safe>{value || '—'}</dd>
        </>
      )
      return sendPage(
        reply,
        <Layout ctx={ctx} title={m.title} wide>
          <p>
            <a href={meetingPaths.mine} safe>
              {t('mineTitle')}
            </a>
          </p>
          <h1 safe>{m.title}</h1>
          <ErrorSummary errors={errors} title={summaryTitle} />
          <dl class="summary-list">
            {row(t('startsAt'), formatDateTime(m.starts_at, ctx.lang))}
            {row(t('endsAt'), formatDateTime(m.ends_at, ctx.lang))}
            {row(t('place'), m.place)}
            {row(t('chair'), m.chair_name)}
            {row(t('organiser'), m.organiser_name)}
            {row(t('status'), t(`status_${m.status}` as MeetingKey))}
            {m.status === 'cancelled' ? row(t('cancelReason'), m.cancel_reason ?? '') : ''}
          </dl>
          <p>
            <a href={meetingPaths.calendar(m.id)} id="calendar" safe>
              {t('addToCalendar')}
            </a>
          </p>
          {view.can.edit ? (
            <p>
              <a href={meetingPaths.edit(m.id)} id="edit" safe>
                {t('edit')}
              </a>
            </p>
          ) : (
            ''
          )}
          {m.video_url && m.status === 'scheduled' ? (
            <p>
              <a href={m.video_url} rel="noopener noreferrer" target="_blank" id="video-link" safe>
                {t('join')}
              </a>
            </p>
          ) : (
            ''
          )}
          <h2 safe>{t('agenda')}</h2>
          <ol id="agenda">
            {view.agenda.map((a) => (
              <li safe>{a.presenter ? `${a.title} — ${a.presenter}` : a.title}</li>
            ))}
          </ol>
          <h2 safe>{t('documents')}</h2>
          {view.documents.length === 0 ? (
            <p class="muted" safe>
              {t('noDocuments')}
            </p>
          ) : (
            <ul id="meeting-documents">
              {view.documents.map((d) => (
                <li data-id={d.id}>
                  <span safe>{d.title}</span>{' '}
                  {d.object_key ? (
                    <a href={meetingPaths.file(m.id, d.id)} safe>
                      {`${t('download')} (${d.file_name ?? ''})`}
                    </a>
                  ) : (
                    d.files.map((f) => (
                      <>
                        {' '}
                        <a href={meetingPaths.file(m.id, d.id, f.id)} safe>
                          {`${t('download')} (${f.fileName})`}
                        </a>
                      </>
                    ))
                  )}
                  {view.can.removeDocuments ? (
                    <>
                      {' '}
                      <PostButton
                        action={meetingPaths.removeDocument(m.id, d.id)}
                        csrf={ctx.csrf}
                        label={t('removeDocument')}
                        variant="link"
                      />
                    </>
                  ) : (
                    ''
                  )}
                </li>
              ))}
            </ul>
          )}
          {view.can.addDocuments ? (
            <form
              method="post"
              action={meetingPaths.documents(m.id)}
              enctype="multipart/form-data"
              id="add-document"
              novalidate
            >
              <h3 safe>{t('addDocument')}</h3>
              <CsrfField token={ctx.csrf} />
              <TextField name="title" label={t('docTitle')} error={errors?.title} maxlength={500} />
              <div class={errors?.file ? 'field field-error' : 'field'}>
                <label for="file" safe>
                  {t('file')}
                </label>
                {errors?.file ? (
                  <p class="error-message" lang="vi" safe>
                    {errors.file}
                  </p>
                ) : (
                  ''
                )}
                <input type="file" id="file" name="file" />
              </div>
              <SelectField
                name="documentId"
                label={t('documentId')}
                emptyLabel="—"
                options={linkable.map((d) => ({
                  value: d.id,
                  label: `${d.code_number}/${d.code_notation}: ${d.summary}`.slice(0, 150),
                }))}
                error={errors?.documentId}
              />
              <button type="submit" safe>
                {t('add')}
              </button>
            </form>
          ) : (
            ''
          )}
          <h2 safe>{t('attendees')}</h2>
          <table id="attendees">
            <tbody>
              {view.attendees.map((a) => (
                <tr>
                  <td safe>{a.name}</td>
                  <td safe>{t(`response_${a.response}` as MeetingKey)}</td>
                  <td safe>{a.response_note ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {view.can.respond ? (
            <form method="post" action={meetingPaths.respond(m.id)} id="respond" novalidate>
              <h3 safe>{t('respondTitle')}</h3>
              <CsrfField token={ctx.csrf} />
              <TextField
                name="note"
                label={t('responseNote')}
                error={errors?.note ?? errors?.response}
                maxlength={1000}
              />
              <button type="submit" name="response" value="accepted" safe>
                {t('accept')}
              </button>{' '}
              <button type="submit" name="response" value="declined" class="secondary" safe>
                {t('decline')}
              </button>
            </form>
          ) : (
            ''
          )}
          <h2 safe>{t('minutes')}</h2>
          {m.minutes ? (
            <div id="minutes">
              <p class="muted" safe>{`${m.minutes_by ?? ''}, ${formatDateTime(m.minutes_at, ctx.lang)}`}</p>
              <pre class="minutes" safe>
                {m.minutes}
              </pre>
            </div>
          ) : (
            <p class="muted" safe>
              {t('noMinutes')}
            </p>
          )}
          {view.can.recordMinutes ? (
            <form method="post" action={meetingPaths.minutes(m.id)} novalidate>
              <CsrfField token={ctx.csrf} />
              <TextArea
                name="minutes"
                label={t('recordMinutes')}
                value={m.minutes}
                error={errors?.minutes}
                rows={10}
              />
              <button type="submit" safe>
                {t('recordMinutes')}
              </button>
            </form>
          ) : (
            ''
          )}
          {view.can.cancel ? (
            <form method="post" action={meetingPaths.cancel(m.id)} novalidate>
              <CsrfField token={ctx.csrf} />
              <TextField
                name="cancelNote"
                label={t('cancelNote')}
                error={errors?.cancelNote}
                maxlength={1000}
              />
              <button type="submit" class="danger" safe>
                {t('cancel')}
              </button>
            </form>
          ) : (
            ''
          )}
          <h2 safe>{t('history')}</h2>
          <table id="history">
            <tbody>
              {view.history.map((h) => (
                <tr>
                  <td safe>{formatDateTime(h.at, ctx.lang)}</td>
                  <td safe>{meetingActionLabel[h.action] ?? h.action}</td>
                  <td safe>{h.actor_name ?? ''}</td>
                  <td safe>
                    {h.restricted
                      ? t('restrictedDocument')
                      : h.action === 'edited'
                        ? [changeText(h.details, ctx), h.note].filter(Boolean).join('. ')
                        : (h.note ?? '')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Layout>,
        status,
      )
    }

    app.get('/admin/documents/meetings/:id', async (request, reply) =>
      renderMeeting(request, reply, (request.params as Params).id),
    )

    // The meeting for the official's own calendar: the same visibility as its page.
    app.get('/admin/documents/meetings/:id/calendar.ics', async (request, reply) => {
      const actor = requireOfficial(request)
      const view = await meetings.get(actor, (request.params as Params).id)
      const m = view.meeting
      // The public address when configured: behind a proxy the request's own host may be an internal one.
      const base = publicUrl?.replace(/\/+$/, '') ?? `${request.protocol}://${request.host}`
      const pageUrl = `${base}${meetingPaths.meeting(m.id)}`
      const body = meetingCalendar(
        {
          id: m.id,
          title: m.title,
          startsAt: m.starts_at,
          endsAt: m.ends_at,
          place: m.place,
          videoUrl: m.video_url,
          organiserName: m.organiser_name,
          chairName: m.chair_name,
          status: m.status,
          cancelReason: m.cancel_reason,
          agenda: view.agenda,
          sequence: view.history.filter((h) => h.action === 'edited' || h.action === 'cancelled').length,
          updatedAt: m.updated_at,
        },
        pageUrl,
        new URL(base).hostname,
        new Date(),
      )
      return reply
        .header('content-type', 'text/calendar; charset=utf-8')
        .header('content-disposition', 'attachment; filename="cuoc-hop.ics"')
        .header('cache-control', 'private, no-store')
        .send(body)
    })

    /** A history entry's changes as one line: "Bắt đầu: 08:00 30/11/2026 → 14:00 01/12/2026; Mời thêm: …". */
    function changeText(details: Record<string, unknown>, ctx: PageContext) {
      const { t } = texts(ctx)
      const {
        changes = [],
        added = [],
        removed = [],
      } = details as {
        changes?: { field: string; before: string | null; after: string | null }[]
        added?: { name: string }[]
        removed?: { name: string }[]
      }
      const value = (field: string, v: string | null) =>
        !v
          ? t('noValue')
          : field === 'startsAt' || field === 'endsAt'
            ? formatDateTime(new Date(v), ctx.lang)
            : v
      return [
        ...changes.map(
          (c) =>
            `${t(`change_${c.field}` as MeetingKey)}: ${value(c.field, c.before)} → ${value(c.field, c.after)}`,
        ),
        ...(added.length ? [`${t('attendeesAdded')}: ${added.map((p) => p.name).join(', ')}`] : []),
        ...(removed.length ? [`${t('attendeesRemoved')}: ${removed.map((p) => p.name).join(', ')}`] : []),
      ].join('; ')
    }

    /** The edit form: the meeting's values, or those just posted with what is wrong with them. */
    async function renderEdit(
      request: FastifyRequest,
      reply: FastifyReply,
      actor: Actor,
      id: string,
      posted?: Form,
      errors?: FieldErrors,
    ) {
      const view = await meetings.editable(actor, id)
      const { meeting: m } = view
      const ctx = app.pageContext(request, reply)
      const { t, summaryTitle } = texts(ctx)
      const guestIds = list(posted?.guestUnitIds ?? (request.query as Form).guestUnitIds)
      const { units, guests, allUnits, people } = await meetings.choices(actor, guestIds)
      // Whoever is invited already stays choosable, from whichever unit.
      const choosable = [
        ...view.attendees.map((a) => ({ id: a.user_id, fullName: a.name })),
        ...people.filter((p) => !view.attendees.some((a) => a.user_id === p.id)),
      ]
      const chosen = new Set(posted ? list(posted.attendeeIds) : view.attendees.map((a) => a.user_id))
      const values: Form = posted ?? {
        title: m.title,
        startsAt: localInputValue(m.starts_at),
        endsAt: localInputValue(m.ends_at),
        place: m.place,
        chairId: m.chair_id,
        videoUrl: m.video_url ?? '',
        agenda: view.agenda.map(agendaLine).join('\n'),
      }
      return sendPage(
        reply,
        <Layout ctx={ctx} title={`${t('editTitle')}: ${m.title}`}>
          <p>
            <a href={meetingPaths.meeting(m.id)} safe>
              {m.title}
            </a>
          </p>
          <h1 safe>{t('editTitle')}</h1>
          <ErrorSummary errors={errors} title={summaryTitle} />
          <p safe>{t('editIntro')}</p>
          <GuestUnitsForm
            t={t}
            action={meetingPaths.edit(m.id)}
            error={errors?.guestUnitIds}
            units={allUnits.filter((u) => !units.includes(u))}
            guests={guests}
          />
          <form method="post" action={meetingPaths.edit(m.id)} id="edit-meeting" novalidate>
            <CsrfField token={ctx.csrf} />
            {guests.map((u) => (
              <input type="hidden" name="guestUnitIds" value={u.id} />
            ))}
            <MeetingFields
              t={t}
              values={values}
              errors={errors}
              people={choosable}
              selected={(id) => chosen.has(id) || id === m.chair_id}
              attendeesHint={t('chairStays')}
            >
              <SelectField
                name="chairId"
                label={t('chair')}
                options={choosable.map((p) => ({ value: p.id, label: p.fullName }))}
                value={one(values.chairId)}
                error={errors?.chairId}
              />
            </MeetingFields>
            <TextField
              name="note"
              label={t('editNote')}
              value={one(values.note)}
              error={errors?.note}
              maxlength={1000}
            />
            <button type="submit" safe>
              {t('submitEdit')}
            </button>
          </form>
        </Layout>,
        errors ? 422 : 200,
      )
    }

    app.get('/admin/documents/meetings/:id/edit', async (request, reply) =>
      renderEdit(request, reply, requireOfficial(request), (request.params as Params).id),
    )

    app.post('/admin/documents/meetings/:id/edit', async (request, reply) => {
      const actor = requireOfficial(request)
      const { id } = request.params as Params
      const body = (request.body ?? {}) as Form
      try {
        // The form gives every field: an empty "end" or link clears it, no attendee chosen leaves the chair.
        const result = await meetings.edit(actor, auditContext(request), id, {
          title: one(body.title) ?? '',
          startsAt: one(body.startsAt) ?? '',
          endsAt: one(body.endsAt) ?? '',
          place: one(body.place) ?? '',
          chairId: one(body.chairId) ?? '',
          videoUrl: one(body.videoUrl) ?? '',
          agenda: one(body.agenda) ?? '',
          guestUnitIds: list(body.guestUnitIds),
          attendeeIds: list(body.attendeeIds),
          note: one(body.note) ?? '',
        })
        const changed = result.changes.length + result.added.length + result.removed.length > 0
        return redirectWithFlash(
          reply,
          meetingPaths.meeting(id),
          translator(meetingMessages, request.lang)(changed ? 'edited' : 'unchanged'),
        )
      } catch (error) {
        if (error instanceof ValidationError) return renderEdit(request, reply, actor, id, body, error.fields)
        if (error instanceof AppError && error.statusCode === 409)
          return renderMeeting(request, reply, id, { edit: error.message }, 409)
        throw error
      }
    })

    async function act(
      request: FastifyRequest,
      reply: FastifyReply,
      field: string,
      run: (actor: Actor, id: string) => Promise<unknown>,
      done: MeetingKey,
    ) {
      const actor = requireOfficial(request)
      const { id } = request.params as Params
      try {
        await run(actor, id)
      } catch (error) {
        if (error instanceof ValidationError) return renderMeeting(request, reply, id, error.fields, 422)
        if (error instanceof AppError && error.statusCode === 409)
          return renderMeeting(request, reply, id, { [field]: error.message }, 409)
        throw error
      }
      return redirectWithFlash(
        reply,
        meetingPaths.meeting(id),
        translator(meetingMessages, request.lang)(done),
      )
    }

    app.post('/admin/documents/meetings/:id/response', (request, reply) =>
      act(
        request,
        reply,
        'response',
        (actor, id) => meetings.respond(actor, auditContext(request), id, request.body as Form),
        'responded',
      ),
    )
    app.post('/admin/documents/meetings/:id/minutes', (request, reply) =>
      act(
        request,
        reply,
        'minutes',
        (actor, id) => meetings.recordMinutes(actor, auditContext(request), id, request.body as Form),
        'minutesRecorded',
      ),
    )
    app.post('/admin/documents/meetings/:id/cancel', (request, reply) =>
      act(
        request,
        reply,
        'cancelNote',
        (actor, id) =>
          meetings.cancel(actor, auditContext(request), id, { note: (request.body as Form).cancelNote }),
        'cancelled',
      ),
    )
    app.post('/admin/documents/meetings/:id/documents/:itemId/remove', (request, reply) =>
      act(
        request,
        reply,
        'file',
        (actor, id) =>
          meetings.removeDocument(
            actor,
            auditContext(request),
            id,
            (request.params as { itemId: string }).itemId,
          ),
        'documentRemoved',
      ),
    )
    app.post('/admin/documents/meetings/:id/documents', { config: { multipart: true } }, (request, reply) =>
      act(
        request,
        reply,
        'file',
        async (actor, id) => {
          let stored: StoredAttachment | undefined
          let fields: Record<string, string>
          try {
            fields = await readMultipart(request, secretKey, async (file) => {
              if (file.field !== 'file' || stored) {
                file.stream.resume()
                return
              }
              stored = await meetings.storeUpload(file.stream, file.fileName)
            })
          } catch (error) {
            if (stored) await meetings.discard([stored])
            throw error
          }
          // From here the service owns the stored file: it attaches it or removes it.
          return meetings.addDocument(actor, auditContext(request), id, fields, stored)
        },
        'documentAdded',
      ),
    )

    const download = async (request: FastifyRequest, reply: FastifyReply) => {
      const actor = requireOfficial(request)
      const { id, itemId, fileId } = request.params as Params & { itemId: string; fileId?: string }
      const { file, stream } = await meetings.openFile(actor, auditContext(request), id, itemId, fileId)
      return sendFile(reply, file, stream)
    }
    app.get('/admin/documents/meetings/:id/documents/:itemId', download)
    app.get('/admin/documents/meetings/:id/documents/:itemId/files/:fileId', download)
  }
}
