import type { Queryable } from '../../platform/db/database.js'
import { enqueue } from '../../platform/jobs/index.js'

/** Sends what the platform owes an agency outside it over the LGSP (`document-exchange.service.ts`). */
export const EXCHANGE_QUEUE = 'documents.exchange-send'

declare module '../../platform/jobs/queue.js' {
  interface JobPayloads {
    /** One package of the exchange outbox, or the unsent status messages of one received document. */
    'documents.exchange-send': { outboxId: number } | { statusDocumentId: string }
  }
}

/** Queues a package of the exchange outbox; inside the transaction that wrote it. */
export async function queuePackageSend(q: Queryable, outboxId: number): Promise<void> {
  await enqueue(q, EXCHANGE_QUEUE, { outboxId }, { singletonKey: `outbox:${outboxId}` })
}

/**
 * Queues the sending of a received document's status messages to its sender; inside the transaction that
 * wrote one. The job sends every unsent message of the document, oldest first.
 */
export async function queueStatusSend(q: Queryable, documentId: string, messageId: number): Promise<void> {
  await enqueue(q, EXCHANGE_QUEUE, { statusDocumentId: documentId }, { singletonKey: `status:${messageId}` })
}
