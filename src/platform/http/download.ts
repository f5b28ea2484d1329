import type { Readable } from 'node:stream'
import type { FastifyReply } from 'fastify'

/**
 * Sends a file: something a person stored (an attachment, a scan) or the platform made (a signed form, a
 * receipt, an edXML package). Stored files are always downloads, never rendered in the platform's origin;
 * `inline` is for PDFs the platform generated itself, which the browser may show in its viewer. The name keeps
 * its Vietnamese letters for browsers that read `filename*`, and falls back to ASCII for the others.
 */
export function sendDownload(
  reply: FastifyReply,
  file: { fileName: string; mime: string },
  body: Readable | Buffer | Uint8Array | string,
  disposition: 'attachment' | 'inline' = 'attachment',
) {
  const ascii = file.fileName
    .normalize('NFD')
    .replace(/[^\x20-\x7e]/g, '_')
    .replace(/["\\]/g, '')
  return reply
    .header('content-type', file.mime)
    .header(
      'content-disposition',
      `${disposition}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(file.fileName)}`,
    )
    .header('x-content-type-options', 'nosniff')
    .header('cache-control', 'private, no-store')
    .send(body instanceof Uint8Array && !Buffer.isBuffer(body) ? Buffer.from(body) : body)
}
