import { createHash, createHmac } from 'node:crypto'

/** SHA-256 of no bytes: the payload hash of GET, HEAD and DELETE. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'

export type SigV4Credentials = {
  accessKeyId: string
  secretAccessKey: string
  region: string
  service: string
}

export type SigV4Request = {
  method: string
  url: URL
  /** Every header given here is signed; host and x-amz-date are added when absent. */
  headers: Record<string, string>
  /** Hex SHA-256 of the body, or UNSIGNED-PAYLOAD. */
  payloadHash: string
}

export type SignedRequest = {
  /** The headers to send: the given ones plus host, x-amz-date and authorization. */
  headers: Record<string, string>
  canonicalRequest: string
  stringToSign: string
  signedHeaders: string
  signature: string
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}

const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest()

/** RFC 3986 encoding as SigV4 wants it: every byte but A–Z a–z 0–9 - . _ ~ is %XX (upper case). */
export function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  )
}

/** 2015-08-30T12:36:00.000Z → 20150830T123600Z */
export function amzDate(now: Date): string {
  return now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '')
}

/**
 * S3 does not normalise paths: each segment is decoded then encoded once, so '/test$file.text' and
 * '/test%24file.text' sign the same way, as the server will see them.
 */
function canonicalUri(pathname: string): string {
  return pathname
    .split('/')
    .map((segment) => uriEncode(decodeURIComponent(segment)))
    .join('/')
}

function canonicalQuery(url: URL): string {
  return [...url.searchParams]
    .map(([name, value]) => [uriEncode(name), uriEncode(value)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&')
}

/**
 * AWS Signature Version 4 for one request, header-based, in the form S3 expects (the path is encoded
 * once, not twice as other AWS services want).
 */
export function signV4(request: SigV4Request, credentials: SigV4Credentials, now: Date): SignedRequest {
  const headers: Record<string, string> = { ...request.headers }
  const given = (name: string) => Object.keys(headers).find((key) => key.toLowerCase() === name)
  if (!given('host')) headers.host = request.url.host
  const dateHeader = given('x-amz-date')
  const timestamp = dateHeader ? headers[dateHeader]! : amzDate(now)
  if (!dateHeader) headers['x-amz-date'] = timestamp
  const day = timestamp.slice(0, 8)

  const canonical = new Map<string, string>()
  for (const [name, value] of Object.entries(headers)) {
    canonical.set(name.toLowerCase(), value.trim().replace(/\s+/g, ' '))
  }
  const sorted = [...canonical.keys()].sort()
  const signedHeaders = sorted.join(';')
  const canonicalRequest = [
    request.method.toUpperCase(),
    canonicalUri(request.url.pathname),
    canonicalQuery(request.url),
    sorted.map((name) => `${name}:${canonical.get(name)}\n`).join(''),
    signedHeaders,
    request.payloadHash,
  ].join('\n')

  const scope = `${day}/${credentials.region}/${credentials.service}/aws4_request`
  const stringToSign = ['AWS4-HMAC-SHA256', timestamp, scope, sha256Hex(canonicalRequest)].join('\n')
  const signingKey = hmac(
    hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), credentials.region), credentials.service),
    'aws4_request',
  )
  const signature = createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex')
  headers.authorization =
    `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, ` +
    `SignedHeaders=${signedHeaders}, Signature=${signature}`
  return { headers, canonicalRequest, stringToSign, signedHeaders, signature }
}
