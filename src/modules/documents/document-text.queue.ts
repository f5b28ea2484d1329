import type { Queryable } from '../../platform/db/database.js'
import { enqueue } from '../../platform/jobs/index.js'

export const TEXT_QUEUE = 'documents.extract-text'

declare module '../../platform/jobs/queue.js' {
  interface JobPayloads {
    /** Extract the text of one attached PDF for search (`document-text.service.ts`). */
    'documents.extract-text': { fileId: string }
  }
}

/** Queues the extraction of a file's text; inside the attaching transaction, it exists exactly when the file does. */
export async function enqueueTextExtraction(q: Queryable, fileId: string): Promise<void> {
  await enqueue(q, TEXT_QUEUE, { fileId }, { singletonKey: `file:${fileId}` })
}
