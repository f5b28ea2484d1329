import { X509Certificate } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { TLSSocket } from 'node:tls'

/**
 * Client certificates for mutual TLS between client systems and the gateway. The TLS handshake is done by
 * whatever terminates TLS: the province's reverse proxy, which passes the verified certificate on in a header
 * (nginx: `proxy_set_header X-SSL-Client-Cert $ssl_client_escaped_cert;`), or this process when it serves TLS
 * itself. The gateway then only compares fingerprints with the registry.
 */

export type RegisteredCertificate = {
  pem: string
  /** SHA-256 of the DER, lowercase hex without separators. */
  sha256: string
  subject: string
  validTo: Date
}

const PEM = /-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----/

const hex = (fingerprint: string) => fingerprint.replaceAll(':', '').toLowerCase()

/** A certificate an administrator registers for a subsystem, or the Vietnamese reason it cannot be. */
export function parseRegisteredCertificate(
  raw: string,
  now: Date,
): { certificate: RegisteredCertificate } | { problem: string } {
  if (raw.length > 20_000) return { problem: 'Chứng thư số quá dài (tối đa 20.000 ký tự).' }
  const block = PEM.exec(raw)?.[0]
  if (!block) {
    return {
      problem:
        'Dán chứng thư số của hệ thống khách ở dạng PEM (từ -----BEGIN CERTIFICATE----- đến -----END CERTIFICATE-----).',
    }
  }
  let certificate: X509Certificate
  try {
    certificate = new X509Certificate(block)
  } catch {
    return { problem: 'Không đọc được chứng thư số: nội dung PEM bị hỏng.' }
  }
  const validTo = new Date(certificate.validTo)
  if (!(validTo.getTime() > now.getTime())) {
    return { problem: `Chứng thư số đã hết hạn (${certificate.validTo}).` }
  }
  return {
    certificate: {
      pem: certificate.toString(),
      sha256: hex(certificate.fingerprint256),
      subject: certificate.subject.replaceAll('\n', ', '),
      validTo,
    },
  }
}

/** What a request shows of its client certificate. */
export type Presented =
  | { kind: 'none' }
  | { kind: 'invalid' }
  | { kind: 'certificate'; sha256: string; validFrom: Date; validTo: Date }

/**
 * The certificate the client presented: from the TLS socket when this process terminated TLS, else from the
 * header the reverse proxy sets (URL-escaped PEM), when one is configured. A header must never be trusted unless
 * the proxy overwrites it on every request and the platform cannot be reached around the proxy.
 */
export function presentedCertificate(req: IncomingMessage, header: string | undefined): Presented {
  const socket = req.socket as Partial<TLSSocket>
  if (socket.encrypted && typeof socket.getPeerX509Certificate === 'function') {
    const peer = socket.getPeerX509Certificate()
    if (peer) return describe(peer)
  }
  if (!header) return { kind: 'none' }
  const value = req.headers[header]
  if (value === undefined || value === '' || value === '(null)') return { kind: 'none' }
  if (typeof value !== 'string' || value.length > 30_000) return { kind: 'invalid' }
  try {
    return describe(new X509Certificate(decodeURIComponent(value)))
  } catch {
    return { kind: 'invalid' }
  }
}

function describe(certificate: X509Certificate): Presented {
  return {
    kind: 'certificate',
    sha256: hex(certificate.fingerprint256),
    validFrom: new Date(certificate.validFrom),
    validTo: new Date(certificate.validTo),
  }
}
