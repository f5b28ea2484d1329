import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'

const PUBLIC_DIR = new URL('../../../public/', import.meta.url)

type Asset = { body: Buffer; type: string; etag: string }
const TYPES: Record<string, string> = {
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  ico: 'image/x-icon',
}

/** The few static files are read once and served from memory with a content hash in their URL. */
export const assets = new Map<string, Asset>(
  ['app.css', 'favicon.svg'].map((name) => {
    const body = readFileSync(new URL(name, PUBLIC_DIR))
    const etag = createHash('sha256').update(body).digest('hex').slice(0, 12)
    return [name, { body, type: TYPES[name.split('.').pop() ?? ''] ?? 'application/octet-stream', etag }]
  }),
)

export function assetUrl(name: string): string {
  return `/assets/${name}?v=${assets.get(name)?.etag ?? '0'}`
}
