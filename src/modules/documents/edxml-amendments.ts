import { randomUUID } from 'node:crypto'
import { appendAudit, type AuditContext } from '../../platform/audit/audit.js'
import { inTransaction, type Db, type Tx } from '../../platform/db/database.js'
import { ConflictError, ValidationError } from '../../platform/http/errors.js'
import type { OrgUnit } from '../organisation/index.js'
import * as exchange from './document-exchange.repository.js'
import type { StoredAttachment } from './document-files.js'
import { urgencyOfPriority, type DocumentStatus } from './document-rules.js'
import * as docs from './documents.repository.js'
import {
  buildStatusMessage,
  BusinessType,
  businessLabel,
  emptyOrgan,
  StatusCode,
  type EdxmlPackage,
} from './edxml.js'

/**
 * What a sender may ask of a document it sent (edXML BussinessDocType 1–3): recall it, update it, or
 * replace it by a new one. The same rule applies to a copy received from another unit of the platform and to
 * one received as edXML; the answer (15 agreed, 16 refused) goes back to the sender (decision 0011).
 */
export type AmendmentKind = 'recall' | 'update' | 'replace'

/** Who acts: a person, or the platform on behalf of an agency over the LGSP (no account). */
export type By = { userId: string | null; fullName: string }

/** Fields a sender's update may change on the received copy. */
export type DocumentChanges = Partial<
  Pick<
    docs.DocumentRow,
    | 'summary'
    | 'content'
    | 'due_on'
    | 'urgency'
    | 'signer_name'
    | 'signer_position'
    | 'signer_competence'
    | 'issue_place'
  >
>

export type AmendmentAnswer = { code: '15' | '16'; note: string }

/**
 * The rule, as data: a recall is refused once the document was completed (the unit's work on it stands; its
 * leaders decide what to undo) and agreed otherwise, including a document the clerk had refused; nothing
 * more is done to a document already recalled or replaced; a replacement is always taken in (the new
 * document is registered in any case) and closes whatever work was left on the old one.
 */
export function amendmentAnswer(kind: AmendmentKind, status: DocumentStatus): AmendmentAnswer {
  if (status === 'recalled' || status === 'replaced') {
    return { code: '16', note: 'Văn bản đã bị thu hồi hoặc thay thế trước đó.' }
  }
  if (kind === 'recall' && status === 'completed') {
    return {
      code: '16',
      note: 'Văn bản đã được xử lý xong; kết quả xử lý được giữ nguyên, không thu hồi được.',
    }
  }
  const agreed = {
    recall: 'Đồng ý thu hồi văn bản.',
    update: 'Đã cập nhật văn bản.',
    replace: 'Đã nhận văn bản thay thế.',
  }
  return { code: '15', note: agreed[kind] }
}

const historyAction: Record<AmendmentKind, { agreed: string; refused: string }> = {
  recall: { agreed: 'recalled', refused: 'recall_refused' },
  update: { agreed: 'updated_by_sender', refused: 'update_refused' },
  replace: { agreed: 'replaced', refused: 'update_refused' },
}

/**
 * Applies a sender's request to a received copy, inside the caller's transaction (the copy is locked by
 * the caller): recalled or replaced copies leave the work queue (open assignments closed), an update changes
 * the fields and keeps the former values in the history; for a document received as edXML, the answer is
 * written as a status message 15/16 to its sender (`request` tells apart answers to successive requests).
 */
export async function applyAmendment(
  tx: Tx,
  input: {
    document: docs.DocumentRow
    unit: OrgUnit
    kind: AmendmentKind
    reason: string
    by: By
    ctx: AuditContext
    now: Date
    request: string
    changes?: DocumentChanges
    replacedBy?: string | null
    /** The sender's own name for the history (the issuing unit or agency). */
    senderName: string
  },
): Promise<AmendmentAnswer & { document: docs.DocumentRow }> {
  const { document, unit, kind, by, now } = input
  const answer = amendmentAnswer(kind, document.status)
  let updated = document
  const details: Record<string, unknown> = { statusCode: answer.code, request: input.request }
  if (answer.code === '15') {
    if (kind === 'update') {
      const before: Record<string, unknown> = {}
      const after: Record<string, unknown> = {}
      for (const [field, value] of Object.entries(input.changes ?? {})) {
        const old = document[field as keyof docs.DocumentRow]
        if (value !== undefined && value !== old) {
          before[field] = old
          after[field] = value
        }
      }
      details.before = before
      details.after = after
      updated = await docs.updateDocument(tx, document.id, {
        ...after,
        amended_at: now,
        amended_reason: input.reason,
        updated_at: now,
      })
    } else {
      await docs.closeOpenAssignments(tx, document.id, now)
      updated = await docs.updateDocument(tx, document.id, {
        status: kind === 'recall' ? 'recalled' : 'replaced',
        withdrawn_at: now,
        withdrawn_reason: input.reason,
        ...(kind === 'replace' ? { replaced_by: input.replacedBy ?? null } : {}),
        updated_at: now,
      })
      if (input.replacedBy) details.replacedBy = input.replacedBy
    }
  }
  await docs.appendHistory(tx, {
    document_id: document.id,
    action: answer.code === '15' ? historyAction[kind].agreed : historyAction[kind].refused,
    assignment_id: null,
    actor_id: by.userId,
    actor_name: by.fullName,
    note: `${input.senderName}: ${input.reason}${answer.code === '16' ? ` — ${answer.note}` : ''}`.slice(
      0,
      2000,
    ),
    details: JSON.stringify(details),
    at: now,
  })
  const extra = document.edxml
  if (document.source === 'edxml' && extra) {
    const description = `${answer.note} (${input.reason})`.slice(0, 2000)
    await docs.insertStatusMessage(tx, {
      document_id: document.id,
      to_organ_id: extra.from.organId,
      status_code: answer.code,
      description,
      reason: answer.code === '16' ? answer.note : null,
      request: `${kind}:${input.request}`.slice(0, 300),
      xml: buildStatusMessage({
        responseFor: {
          organId: extra.from.organId,
          code: `${document.code_number}/${document.code_notation}`,
          promulgationDate: document.issued_on,
          documentId: extra.documentId,
        },
        from: emptyOrgan(unit.agencyCode ?? '', unit.name),
        code: answer.code === '15' ? StatusCode.amendmentAgreed : StatusCode.amendmentRefused,
        description,
        at: now,
        staff: { department: unit.name, name: by.fullName, email: '' },
      }),
      created_at: now,
      sent_at: null,
      last_error: null,
    })
  }
  await appendAudit(
    tx,
    input.ctx,
    {
      action: `document.${kind}_by_sender`,
      objectType: 'document',
      objectId: document.id,
      unitId: unit.id,
      details: { statusCode: answer.code, source: document.source },
    },
    now,
  )
  return { ...answer, document: updated }
}

// ---------------------------------------------------------------------------------------------------------
// Packages received from an agency (a clerk's import, or over the LGSP)

const refusal = (problem: string) =>
  new ValidationError({ edxml: problem }, `Gói tin edXML không được tiếp nhận: ${problem}`)

const senderOf = (pkg: Required<EdxmlPackage>) => pkg.document.from.organName || pkg.document.from.organId

/**
 * A recall or an update from an agency, applied to the document the unit received from it under that
 * DocumentId (Bussiness/DocumentId, or the header's). A reference to a document never received from that
 * sender, the same package twice, or a second recall is refused and nothing is kept. Files an update adds
 * are stored first and attached in the transaction (removed again if it fails or the update is refused).
 */
export async function amendReceived(
  db: Db,
  input: {
    by: By
    ctx: AuditContext
    unit: OrgUnit
    pkg: Required<EdxmlPackage>
    request: string
    now: Date
    store: (attachment: Required<EdxmlPackage>['attachments'][number]) => Promise<StoredAttachment>
    discard: (files: readonly StoredAttachment[]) => Promise<void>
  },
): Promise<docs.DocumentRow> {
  const { unit, pkg, now } = input
  const { document: d, business } = pkg
  const kind: AmendmentKind = business.type === BusinessType.recall ? 'recall' : 'update'
  const ref = business.documentId || d.documentId
  const target = await exchange.findReceived(db, unit.id, d.from.organId, ref)
  if (!target) {
    throw refusal(
      `Gói tin ${businessLabel[business.type].toLowerCase()} tham chiếu văn bản "${ref}" mà ${unit.name} chưa nhận từ ${senderOf(pkg)}.`,
    )
  }
  const stored: StoredAttachment[] = []
  let used = 0
  try {
    if (kind === 'update') {
      for (const a of pkg.attachments) {
        const file = await input.store(a).catch((error: unknown) => {
          if (error instanceof ValidationError) throw refusal(`Tệp đính kèm "${a.name}": ${error.message}`)
          throw error
        })
        stored.push({ ...file, contentId: a.contentId, description: a.description || undefined })
      }
    }
    const result = await inTransaction(db, async (tx) => {
      const locked = (await docs.lockDocument(tx, target.id))!
      const code = `${locked.code_number}/${locked.code_notation}`
      if (await exchange.requestSeen(tx, locked.id, input.request))
        throw new ConflictError(`Gói tin này đã được nhận trước đây (văn bản số ${code}).`)
      if (kind === 'recall' && locked.status === 'recalled')
        throw new ConflictError(`Văn bản số ${code} đã được thu hồi trước đây.`)
      const answer = await applyAmendment(tx, {
        document: locked,
        unit,
        kind,
        reason: business.reason,
        by: input.by,
        ctx: input.ctx,
        now,
        request: input.request,
        senderName: senderOf(pkg),
        changes:
          kind === 'update'
            ? {
                summary: d.subject,
                content: d.content || null,
                due_on: d.dueDate,
                urgency: urgencyOfPriority(d.priority),
                signer_name: d.signer.fullName || null,
                signer_position: d.signer.position || null,
                signer_competence: d.signer.competence || null,
                issue_place: d.place || null,
              }
            : undefined,
      })
      if (answer.code === '15' && stored.length > 0) {
        const known = new Set((await docs.listFiles(tx, locked.id)).map((f) => f.content_id))
        let position = await docs.nextFilePosition(tx, locked.id)
        for (const file of stored) {
          if (file.contentId && known.has(file.contentId)) continue
          await docs.insertFile(tx, {
            document_id: locked.id,
            position: position++,
            kind: 'electronic',
            file_name: file.fileName,
            description: file.description ?? null,
            content_id: file.contentId ?? randomUUID(),
            mime: file.mime,
            size: file.size,
            sha256: file.sha256,
            object_key: file.key,
            scanned: file.scanned,
            uploaded_by: input.by.userId,
            uploaded_at: now,
          })
          used++
        }
      }
      return answer.document
    })
    if (used < stored.length) {
      const attached = new Set((await docs.listFiles(db, result.id)).map((f) => f.object_key))
      await input.discard(stored.filter((f) => !attached.has(f.key)))
    }
    return result
  } catch (error) {
    await input.discard(stored)
    throw error
  }
}

/** The documents a replacement replaces (ReplacementInfoList), all received earlier from its sender. */
export async function findReplaced(
  db: Db,
  unit: OrgUnit,
  pkg: Required<EdxmlPackage>,
): Promise<docs.DocumentRow[]> {
  const found: docs.DocumentRow[] = []
  for (const { documentId } of pkg.business.replacements) {
    const row = await exchange.findReceived(db, unit.id, pkg.document.from.organId, documentId)
    if (!row) {
      throw refusal(
        `Gói tin thay thế tham chiếu văn bản "${documentId}" mà ${unit.name} chưa nhận từ ${senderOf(pkg)}.`,
      )
    }
    if (!found.some((f) => f.id === row.id)) found.push(row)
  }
  return found
}

/** In the replacement's registering transaction: the documents it replaces are marked and answered. */
export async function markReplaced(
  tx: Tx,
  input: {
    old: readonly docs.DocumentRow[]
    replacement: docs.DocumentRow
    unit: OrgUnit
    pkg: Required<EdxmlPackage>
    by: By
    ctx: AuditContext
    now: Date
  },
): Promise<void> {
  const codes: string[] = []
  for (const old of input.old) {
    const locked = (await docs.lockDocument(tx, old.id))!
    await applyAmendment(tx, {
      document: locked,
      unit: input.unit,
      kind: 'replace',
      reason: input.pkg.business.reason,
      by: input.by,
      ctx: input.ctx,
      now: input.now,
      request: input.replacement.id,
      replacedBy: input.replacement.id,
      senderName: senderOf(input.pkg),
    })
    codes.push(`${locked.code_number}/${locked.code_notation} (số đến ${locked.number})`)
  }
  await docs.appendHistory(tx, {
    document_id: input.replacement.id,
    action: 'replaces',
    assignment_id: null,
    actor_id: input.by.userId,
    actor_name: input.by.fullName,
    note: `Thay thế văn bản số ${codes.join(', ')}`.slice(0, 2000),
    details: JSON.stringify({ replaces: input.old.map((o) => o.id) }),
    at: input.now,
  })
}
