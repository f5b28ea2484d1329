import type { ColumnType, Generated } from 'kysely'

export type MeetingStatus = 'scheduled' | 'held' | 'cancelled'
export type AttendeeResponse = 'pending' | 'accepted' | 'declined'

export type MeetingTables = {
  meetings: {
    id: Generated<string>
    unit_id: string
    title: string
    starts_at: Date
    ends_at: Date | null
    place: string
    video_url: string | null
    chair_id: string
    chair_name: string
    organiser_id: string
    organiser_name: string
    status: MeetingStatus
    minutes: string | null
    minutes_by: string | null
    minutes_at: Date | null
    /** Why and when the organiser called it off (migration 0034). */
    cancel_reason: string | null
    cancelled_at: Date | null
    created_at: Generated<Date>
    updated_at: Generated<Date>
  }
  meeting_attendees: {
    meeting_id: string
    user_id: string
    name: string
    response: AttendeeResponse
    response_note: string | null
    responded_at: Date | null
  }
  meeting_agenda_items: { meeting_id: string; position: number; title: string; presenter: string | null }
  meeting_documents: {
    id: Generated<string>
    meeting_id: string
    position: number
    title: string
    document_id: string | null
    file_name: string | null
    mime: string | null
    size: number | null
    sha256: string | null
    object_key: string | null
    scanned: boolean | null
    added_by: string | null
    added_at: Date
    /** Taken off the meeting by the organiser (migration 0034): kept on record, no longer shown nor served. */
    removed_at: Date | null
    removed_by: string | null
  }
  meeting_history: {
    id: Generated<number>
    meeting_id: string
    seq: number
    action: string
    actor_id: string | null
    actor_name: string | null
    note: string | null
    details: ColumnType<Record<string, unknown>, string | undefined, never>
    at: Date
  }
}
