import type { Readable } from 'node:stream'
import multipart from '@fastify/multipart'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { verifyCsrf } from './csrf.js'
import { AppError } from './errors.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route reads multipart bodies with `readMultipart`; every other route refuses them. */
    multipart?: boolean
  }
}

/** One file of a multipart form, as it streams in: it must be consumed (or drained) before the next part. */
export type IncomingFile = { field: string; fileName: string; stream: Readable }

/** Thrown for a multipart body on a route that takes none, or a form with too many parts. */
export class UploadRefusedError extends AppError {
  constructor(message: string, status = 415) {
    super(status, 'upload_refused', message)
  }
}

const MAX_FILES = 20

/**
 * Multipart bodies are parsed lazily, by the route, so files stream to storage instead of memory. The CSRF
 * check of the kernel cannot see a multipart body before the handler runs: `readMultipart` makes it
 * instead, before accepting the first file, and routes must opt in with `config: { multipart: true }`.
 */
export const uploadsPlugin = fp<{ maxFileBytes: number }>(async (app: FastifyInstance, { maxFileBytes }) => {
  await app.register(multipart, {
    // One byte over the limit reaches the store, whose own check then refuses the file in Vietnamese.
    limits: { fileSize: maxFileBytes + 1, files: MAX_FILES, fields: 100, fieldSize: 100_000, parts: 150 },
    // Truncate instead of throwing, so the next files of the form are still read and each gets its own answer.
    throwFileSizeLimit: false,
  })
  app.addHook('preValidation', async (request) => {
    if (request.isMultipart() && request.routeOptions.config.multipart !== true) {
      throw new UploadRefusedError('Biểu mẫu này không nhận tệp đính kèm.')
    }
  })
})

/**
 * Reads a multipart form in one pass, in the order the browser sent it: the hidden CSRF field comes first in
 * every form, so a forged request is refused before any file is stored. Empty file inputs are skipped.
 */
export async function readMultipart(
  request: FastifyRequest,
  secret: string,
  onFile: (file: IncomingFile, fields: Readonly<Record<string, string>>) => Promise<void>,
  options: { changesState?: boolean } = {},
): Promise<Record<string, string>> {
  const fields: Record<string, string> = {}
  // A request that changes nothing (checking a signature) cannot be abused across sites: no token needed.
  let verified = request.authVia === 'token' || options.changesState === false
  const verify = () => {
    if (verified) return
    verifyCsrf(request, secret, fields)
    verified = true
  }
  try {
    for await (const part of request.parts()) {
      if (part.type === 'field') {
        if (typeof part.value === 'string') fields[part.fieldname] = part.value
        continue
      }
      if (!part.filename) {
        part.file.resume()
        continue
      }
      verify()
      await onFile({ field: part.fieldname, fileName: part.filename, stream: part.file }, fields)
      // A handler that stopped early must not leave the rest of this file blocking the next part.
      if (!part.file.readableEnded) part.file.resume()
    }
  } catch (error) {
    const code = (error as { code?: string }).code
    if (code === 'FST_FILES_LIMIT') {
      throw new UploadRefusedError(`Mỗi lần gửi tối đa ${MAX_FILES} tệp.`, 413)
    }
    if (code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') {
      throw new UploadRefusedError('Biểu mẫu có quá nhiều trường.', 413)
    }
    throw error
  }
  verify()
  return fields
}
