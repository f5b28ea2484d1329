import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { BlockList, isIP, type LookupFunction } from 'node:net'

/**
 * The guard against server-side request forgery. A service's base URL may only name a host an administrator
 * put on the allow-list: `host` (any port), `host:port`, or `*.domain` (any host below it). A host that matches
 * only a wildcard must not resolve to a loopback, link-local, private or otherwise special address: reaching the
 * platform's own network takes an entry naming that exact host. The check runs when a service is registered and
 * again on every connection (the resolver may answer differently later: DNS rebinding).
 */

/** Addresses a wildcard entry may never reach; one list per family (a v6 list also matches mapped v4 addresses). */
const SPECIAL = new BlockList()
const SPECIAL_V6 = new BlockList()
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  SPECIAL.addSubnet(net, prefix, 'ipv4')
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  SPECIAL_V6.addSubnet(net, prefix, 'ipv6')
}

export function isSpecialAddress(address: string): boolean {
  const family = isIP(address)
  if (family === 4) return SPECIAL.check(address, 'ipv4')
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
    if (mapped) return SPECIAL.check(mapped[1]!, 'ipv4')
    return SPECIAL_V6.check(address, 'ipv6')
  }
  return true
}

const HOST_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/

function validHostname(host: string): boolean {
  if (isIP(host)) return true
  if (host.length > 253) return false
  return host.split('.').every((label) => HOST_LABEL.test(label))
}

/**
 * Normalises an allow-list entry typed by an administrator (`api.tinh.gov.vn`, `10.0.0.5:8080`, `[fd00::1]:443`,
 * `*.caobang.gov.vn`), or returns the Vietnamese reason it is refused.
 */
export function parseHostEntry(input: string): { host: string } | { problem: string } {
  const raw = input.trim().toLowerCase()
  const problem = {
    problem:
      'Máy chủ phải có dạng tên-miền, tên-miền:cổng, địa chỉ IP (IPv6 trong ngoặc vuông) hoặc *.tên-miền; không kèm http:// hay đường dẫn.',
  }
  if (!raw || raw.length > 260 || /[/\s@?#]/.test(raw)) return problem
  let host = raw
  let port: string | undefined
  const v6 = /^\[([0-9a-f:.]+)\](?::(\d{1,5}))?$/.exec(raw)
  if (v6) {
    if (isIP(v6[1]!) !== 6) return problem
    host = `[${v6[1]}]`
    port = v6[2]
  } else {
    const colon = raw.lastIndexOf(':')
    if (colon >= 0) {
      host = raw.slice(0, colon)
      port = raw.slice(colon + 1)
      if (!/^\d{1,5}$/.test(port)) return problem
    }
    const wildcard = host.startsWith('*.')
    const name = wildcard ? host.slice(2) : host
    if (!validHostname(name) || (wildcard && (isIP(name) || !name.includes('.')))) return problem
  }
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return problem
  return { host: port === undefined ? host : `${host}:${port}` }
}

/** The entry of the allow-list a URL's host and port fall under, preferring an exact one. */
export function matchAllowedHost(
  url: URL,
  allowed: readonly string[],
): { entry: string; exact: boolean } | undefined {
  const host = url.hostname.toLowerCase()
  const port = url.port || (url.protocol === 'https:' ? '443' : '80')
  let wildcard: string | undefined
  for (const entry of allowed) {
    const colon = entry.startsWith('[') ? entry.indexOf(']:') + 1 || -1 : entry.lastIndexOf(':')
    const entryHost = colon > 0 ? entry.slice(0, colon) : entry
    const entryPort = colon > 0 ? entry.slice(colon + 1) : undefined
    if (entryPort !== undefined && entryPort !== port) continue
    if (entryHost === host) return { entry, exact: true }
    if (entryHost.startsWith('*.') && host.endsWith(entryHost.slice(1)) && !isIP(host)) wildcard ??= entry
  }
  return wildcard ? { entry: wildcard, exact: false } : undefined
}

/** A parsed base URL, or the Vietnamese reason it is refused before any resolution. */
export function checkBaseUrl(
  input: string,
  allowed: readonly string[],
): { url: URL; exact: boolean } | { problem: string } {
  let url: URL
  try {
    url = new URL(input.trim())
  } catch {
    return { problem: 'Địa chỉ dịch vụ không phải URL hợp lệ (ví dụ https://api.sokhcn.caobang.gov.vn/v1).' }
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { problem: 'Địa chỉ dịch vụ chỉ được dùng http hoặc https.' }
  }
  if (url.username || url.password) {
    return { problem: 'Địa chỉ dịch vụ không được chứa tên đăng nhập hay mật khẩu (user:pass@).' }
  }
  if (url.hash || input.includes('#')) return { problem: 'Địa chỉ dịch vụ không được có phần #.' }
  if (url.search) return { problem: 'Địa chỉ dịch vụ không được có tham số truy vấn (?).' }
  const match = matchAllowedHost(url, allowed)
  if (!match) {
    return {
      problem: `Máy chủ ${url.host} chưa có trong danh sách máy chủ được phép; quản trị viên cần thêm trước.`,
    }
  }
  return { url, exact: match.exact }
}

export type Resolver = (hostname: string) => Promise<string[]>

export const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, { all: true }, (error, addresses: LookupAddress[]) =>
      error ? reject(error) : resolve(addresses.map((a) => a.address)),
    ),
  )

/**
 * The resolve-time rule: a host reached through a wildcard entry must not resolve to a special address. Returns
 * the Vietnamese reason for refusing, or undefined.
 */
export async function resolutionProblem(
  url: URL,
  exact: boolean,
  resolver: Resolver = systemResolver,
): Promise<string | undefined> {
  if (exact) return undefined
  let addresses: string[]
  try {
    addresses = await resolver(url.hostname)
  } catch {
    return `Không phân giải được tên máy chủ ${url.hostname}.`
  }
  const special = addresses.find(isSpecialAddress)
  if (special) {
    return `Máy chủ ${url.hostname} trỏ tới địa chỉ nội bộ ${special}; chỉ được dùng khi chính máy chủ này có trong danh sách được phép.`
  }
  return undefined
}

/** Thrown (through the socket) when a connection would reach a special address through a wildcard entry. */
export class ForbiddenAddressError extends Error {
  readonly code = 'LGSP_FORBIDDEN_ADDRESS'
}

/** A `lookup` for outgoing connections that applies the resolve-time rule to the address actually used. */
export function guardedLookup(exact: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0)
      if (!exact) {
        const special = addresses.find((a) => isSpecialAddress(a.address))
        if (special) {
          return callback(new ForbiddenAddressError(`${hostname} resolves to ${special.address}`), '', 0)
        }
      }
      if (options.all) return callback(null, addresses)
      const first = addresses[0]
      if (!first) return callback(new Error(`no address for ${hostname}`), '', 0)
      callback(null, first.address, first.family)
    })
  }
}
