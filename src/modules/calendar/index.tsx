import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import {
  DERIVED_SOURCE,
  localDateOf,
  shippedCalendar,
  type WorkingCalendar,
} from '../../platform/calendar/index.js'
import { ValidationError } from '../../platform/http/errors.js'
import { ErrorSchema } from '../../platform/http/openapi.js'
import { sendPage } from '../../platform/http/plugin.js'
import { defineMessages, translator } from '../../platform/i18n/index.js'
import type { ModuleDeps } from '../../platform/module.js'
import { formatDay } from '../../platform/views/format.js'
import { Layout } from '../../platform/views/layout.js'

const messages = defineMessages(
  {
    title: 'Lịch làm việc năm {year}',
    intro:
      'Các ngày nghỉ lễ, nghỉ bù và ngày làm bù của cán bộ, công chức, viên chức. Thời hạn giải quyết hồ sơ tính theo ngày làm việc trên lịch này.',
    derived:
      'Chưa có thông báo chính thức cho năm này: các ngày dưới đây được suy ra từ Bộ luật Lao động và sẽ được cập nhật.',
    date: 'Ngày',
    kind: 'Loại',
    name: 'Tên',
    source: 'Căn cứ',
    holiday: 'Nghỉ',
    makeup: 'Làm bù',
    officeHours: 'Giờ làm việc: {hours}. Hồ sơ tiếp nhận sau {cutoff} được tính từ ngày làm việc tiếp theo.',
    otherYears: 'Năm khác',
  },
  {
    title: 'Working calendar {year}',
    intro:
      'Public holidays, substitute days off and make-up working days of civil servants. Processing deadlines count working days on this calendar.',
    derived:
      'No official notice yet for this year: the days below are derived from the Labour Code and will be updated.',
    date: 'Date',
    kind: 'Kind',
    name: 'Name',
    source: 'Source',
    holiday: 'Day off',
    makeup: 'Make-up working day',
    officeHours: 'Office hours: {hours}. Dossiers received after {cutoff} count from the next working day.',
    otherYears: 'Other years',
  },
)

const Year = Type.Integer({ minimum: 1901, maximum: 2198 })

/** The working-day calendar, public: citizens see why a deadline falls where it does. */
export function createCalendarModule({ clock }: ModuleDeps, calendar: WorkingCalendar = shippedCalendar()) {
  const hours = calendar.rules.officeHours.map((s) => `${s.start}–${s.end}`).join(', ')
  return {
    calendar,
    routes: async (app: FastifyInstance) => {
      app.get('/calendar', async (request, reply) => {
        const raw = Number((request.query as { year?: string }).year)
        const year =
          Number.isInteger(raw) && raw >= 1901 && raw <= 2198 ? raw : Number(localDateOf(clock()).slice(0, 4))
        const listing = calendar.listYear(year)
        const ctx = app.pageContext(request, reply)
        const t = translator(messages, ctx.lang)
        return sendPage(
          reply,
          <Layout ctx={ctx} title={t('title', { year })}>
            <h1 safe>{t('title', { year })}</h1>
            <p safe>{t('intro')}</p>
            <p safe>{t('officeHours', { hours, cutoff: calendar.rules.cutoff })}</p>
            {listing.origin === 'derived' || listing.days.some((d) => d.source === DERIVED_SOURCE) ? (
              <p class="warning" safe>
                {t('derived')}
              </p>
            ) : (
              ''
            )}
            <table>
              <thead>
                <tr>
                  <th scope="col" safe>
                    {t('date')}
                  </th>
                  <th scope="col" safe>
                    {t('kind')}
                  </th>
                  <th scope="col" safe>
                    {t('name')}
                  </th>
                  <th scope="col" safe>
                    {t('source')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {listing.days.map((day) => (
                  <tr>
                    <td safe>{formatDay(day.date, ctx.lang)}</td>
                    <td safe>{t(day.kind)}</td>
                    <td safe>{day.name}</td>
                    <td class="muted" safe>
                      {day.source}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <nav aria-label={t('otherYears')}>
              <a href={`/calendar?year=${year - 1}`} safe>{`← ${year - 1}`}</a> ·{' '}
              <a href={`/calendar?year=${year + 1}`} safe>{`${year + 1} →`}</a>
            </nav>
          </Layout>,
        )
      })
    },
    api: async (app: FastifyInstance) => {
      const tags = ['Lịch làm việc']
      app.get(
        '/calendar/days',
        {
          schema: {
            tags,
            summary: 'Ngày nghỉ lễ, nghỉ bù, làm bù của một năm',
            querystring: Type.Object({ year: Year }, { additionalProperties: false }),
            response: {
              200: Type.Object({
                year: Type.Integer(),
                origin: Type.String(),
                days: Type.Array(
                  Type.Object({
                    date: Type.String(),
                    kind: Type.String(),
                    name: Type.String(),
                    source: Type.String(),
                  }),
                ),
              }),
              400: ErrorSchema,
            },
          },
        },
        async (request) => {
          const listing = calendar.listYear((request.query as { year: number }).year)
          return {
            ...listing,
            days: listing.days.map(({ date, kind, name, source }) => ({ date, kind, name, source })),
          }
        },
      )
      app.get(
        '/calendar/due',
        {
          schema: {
            tags,
            summary: 'Hạn giải quyết: cộng số ngày làm việc kể từ thời điểm tiếp nhận',
            querystring: Type.Object(
              {
                receivedAt: Type.String({ format: 'date-time' }),
                workingDays: Type.Integer({ minimum: 0, maximum: 3650 }),
              },
              { additionalProperties: false },
            ),
            response: {
              200: Type.Object({
                receivedAt: Type.String(),
                countsFrom: Type.String(),
                dueAt: Type.String(),
                dueDate: Type.String(),
              }),
              400: ErrorSchema,
            },
          },
        },
        async (request) => {
          const { receivedAt, workingDays } = request.query as { receivedAt: string; workingDays: number }
          const at = new Date(receivedAt)
          if (Number.isNaN(at.getTime()))
            throw new ValidationError({ receivedAt: 'Thời điểm tiếp nhận không hợp lệ.' })
          const due = calendar.addWorkingDays(at, workingDays)
          return {
            receivedAt: at.toISOString(),
            countsFrom: calendar.receiptDate(at),
            dueAt: due.toISOString(),
            dueDate: localDateOf(due),
          }
        },
      )
    },
  }
}
