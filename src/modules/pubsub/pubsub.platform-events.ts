import type { OutboxEvent } from '../../platform/jobs/index.js'
import type { OrganisationService } from '../organisation/index.js'
import type { PubsubService } from './pubsub.service.js'

/** The platform's domain events republished as pub/sub topics, with what subscribers are told about each. */
export const PLATFORM_TOPICS = {
  'dossier.status_changed':
    'Hồ sơ thủ tục hành chính chuyển trạng thái (kèm mã trạng thái 1–10 của Cổng DVC quốc gia). Khóa: mã hồ sơ.',
  'dossier.result_issued': 'Hồ sơ đã trả kết quả (điện tử hoặc giấy). Khóa: mã hồ sơ.',
  'document.registered':
    'Văn bản đến được vào sổ (không kèm trích yếu; văn bản mật chỉ có mã, đơn vị và thời điểm). Khóa: mã văn bản.',
  'document.assigned': 'Văn bản được giao xử lý (đơn vị, vai trò, hạn). Khóa: mã văn bản.',
  'document.completed': 'Văn bản đã xử lý xong. Khóa: mã văn bản.',
} as const

export type PlatformTopic = keyof typeof PLATFORM_TOPICS
export const PLATFORM_TOPIC_NAMES = Object.keys(PLATFORM_TOPICS) as PlatformTopic[]

/** Name of the outbox consumer that republishes; its cursor is on the jobs page. */
export const PLATFORM_EVENTS_CONSUMER = 'pubsub.platform-events'

type Published = { key: string; payload: Record<string, unknown>; internal?: Record<string, unknown> }

/**
 * Turns an outbox event into what a subscriber may see. Personal data of applicants (contact details, account
 * id) goes only to the internal part, which never leaves the platform; a confidential document is announced
 * without its number, source or deadline; assignees are named by unit and role, not by person.
 */
export function platformMessage(
  event: OutboxEvent<PlatformTopic>,
  unitCode: (id: string | null) => Promise<string | null>,
): Promise<Published> {
  return (async () => {
    switch (event.topic) {
      case 'dossier.status_changed': {
        const { applicantUserId, applicantName, applicantIdNumber, applicantEmail, applicantPhone, ...rest } =
          event.payload
        return {
          key: rest.code,
          payload: { ...rest, unitCode: await unitCode(rest.unitId) },
          internal: { applicantUserId, applicantName, applicantIdNumber, applicantEmail, applicantPhone },
        }
      }
      case 'dossier.result_issued':
        return {
          key: event.payload.code,
          payload: { ...event.payload, unitCode: await unitCode(event.payload.unitId) },
        }
      case 'document.registered': {
        const p = event.payload
        const common = {
          id: p.id,
          unitId: p.unitId,
          unitCode: await unitCode(p.unitId),
          confidentiality: p.confidentiality,
          at: p.at,
        }
        return {
          key: p.id,
          payload:
            p.confidentiality === 'normal'
              ? {
                  ...common,
                  registerId: p.registerId,
                  number: p.number,
                  source: p.source,
                  urgency: p.urgency,
                  dueOn: p.dueOn,
                }
              : common,
        }
      }
      case 'document.assigned': {
        const p = event.payload
        return {
          key: p.id,
          payload: {
            id: p.id,
            unitId: p.unitId,
            unitCode: await unitCode(p.unitId),
            assignments: p.assignments.map((a) => ({
              id: a.id,
              unitId: a.unitId,
              role: a.role,
              dueAt: a.dueAt,
            })),
            at: p.at,
          },
          internal: { assignees: p.assignments.map((a) => ({ id: a.id, userId: a.userId })) },
        }
      }
      case 'document.completed':
        return {
          key: event.payload.id,
          payload: { ...event.payload, unitCode: await unitCode(event.payload.unitId) },
        }
    }
  })()
}

/** The outbox consumer: each domain event becomes one pub/sub event, exactly once (keyed by the outbox id). */
export function platformEventsConsumer(
  pubsub: PubsubService,
  organisation: Pick<OrganisationService, 'findUnitsByIds'>,
) {
  const codes = new Map<string, string | null>()
  const unitCode = async (id: string | null) => {
    if (!id) return null
    if (!codes.has(id)) {
      const [unit] = await organisation.findUnitsByIds([id])
      codes.set(id, unit?.agencyCode ?? null)
    }
    return codes.get(id) ?? null
  }
  return {
    name: PLATFORM_EVENTS_CONSUMER,
    topics: PLATFORM_TOPIC_NAMES,
    handle: async (event: OutboxEvent<PlatformTopic>) => {
      const message = await platformMessage(event, unitCode)
      await pubsub.publishPlatform(
        event.topic,
        message.key,
        message.payload,
        message.internal,
        `outbox:${event.id}`,
      )
    },
  }
}
