import { describe, expect, it } from 'vitest'
import { ValidationError } from '../../platform/http/errors.js'
import { createHealthBoard, createRateLimiter } from './lgsp.health.js'
import {
  checkBaseUrl,
  isSpecialAddress,
  matchAllowedHost,
  parseHostEntry,
  resolutionProblem,
} from './lgsp.hosts.js'
import {
  memberCodeProblem,
  parseClientHeader,
  parseGatewayPath,
  pathMatches,
  restPathProblem,
} from './lgsp.identifiers.js'
import { openApiProblem, parseAccessRightInput, parseMemberInput, parseServiceInput } from './lgsp.input.js'

const fields = (work: () => unknown) => {
  try {
    work()
  } catch (error) {
    if (error instanceof ValidationError) return error.fields
    throw error
  }
  return {}
}

describe('allowed hosts (the SSRF guard)', () => {
  it('normalises the entries an administrator types and refuses anything else', () => {
    expect(parseHostEntry(' API.SoKHCN.CaoBang.gov.vn ')).toEqual({ host: 'api.sokhcn.caobang.gov.vn' })
    expect(parseHostEntry('10.4.0.12:8080')).toEqual({ host: '10.4.0.12:8080' })
    expect(parseHostEntry('[FD00::12]:443')).toEqual({ host: '[fd00::12]:443' })
    expect(parseHostEntry('*.caobang.gov.vn')).toEqual({ host: '*.caobang.gov.vn' })
    for (const bad of [
      'http://a.vn',
      'a.vn/x',
      'user@a.vn',
      'a b',
      '*.vn',
      '*.10.0.0.1',
      'a.vn:99999',
      '-a.vn',
      '',
    ]) {
      expect(parseHostEntry(bad), bad).toHaveProperty('problem')
    }
  })

  it('refuses non-http schemes, credentials, fragments, queries and hosts not on the list', () => {
    const allowed = ['api.tinh.gov.vn', '10.4.0.12:8080', '*.caobang.gov.vn']
    const problem = (url: string) => {
      const checked = checkBaseUrl(url, allowed)
      return 'problem' in checked ? checked.problem : undefined
    }
    expect(problem('ftp://api.tinh.gov.vn/x')).toContain('http hoặc https')
    expect(problem('file:///etc/passwd')).toContain('http hoặc https')
    expect(problem('https://admin:pw@api.tinh.gov.vn/x')).toContain('tên đăng nhập')
    expect(problem('https://api.tinh.gov.vn/x#a')).toContain('#')
    expect(problem('https://api.tinh.gov.vn/x?a=1')).toContain('?')
    expect(problem('http://127.0.0.1/x')).toContain('chưa có trong danh sách')
    expect(problem('http://10.4.0.12:9090/x')).toContain('chưa có trong danh sách')
    expect(problem('http://10.4.0.12:8080/x')).toBeUndefined()
    expect(problem('https://api.tinh.gov.vn:8443/x')).toBeUndefined()
    expect(problem('not a url')).toContain('không phải URL')
    expect(matchAllowedHost(new URL('https://dvc.caobang.gov.vn/'), allowed)).toEqual({
      entry: '*.caobang.gov.vn',
      exact: false,
    })
    expect(matchAllowedHost(new URL('https://caobang.gov.vn.evil.vn/'), allowed)).toBeUndefined()
    expect(matchAllowedHost(new URL('http://[fd00::12]:443/'), ['[fd00::12]:443'])).toEqual({
      entry: '[fd00::12]:443',
      exact: true,
    })
  })

  it('refuses a wildcard host that resolves inward, unless the exact host is allowed', async () => {
    const inward = async () => ['8.8.8.8', '127.0.0.1']
    const outward = async () => ['8.8.8.8']
    const url = new URL('https://noi-bo.caobang.gov.vn/api')
    expect(await resolutionProblem(url, false, inward)).toContain('địa chỉ nội bộ 127.0.0.1')
    expect(await resolutionProblem(url, false, outward)).toBeUndefined()
    expect(await resolutionProblem(url, true, inward)).toBeUndefined()
    const failing = async () => {
      throw new Error('ENOTFOUND')
    }
    expect(await resolutionProblem(url, false, failing)).toContain('Không phân giải được')
  })

  it('knows the loopback, private, link-local and mapped addresses', () => {
    for (const ip of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.5.4',
      '192.168.1.1',
      '169.254.169.254',
      '0.0.0.0',
      '::1',
      'fe80::1',
      'fd00::1',
      '::ffff:127.0.0.1',
      '100.64.0.1',
    ]) {
      expect(isSpecialAddress(ip), ip).toBe(true)
    }
    for (const ip of ['8.8.8.8', '203.0.113.7', '2001:4860:4860::8888'])
      expect(isSpecialAddress(ip), ip).toBe(false)
  })
})

describe('identifiers and paths', () => {
  it('checks member codes by class: QCVN 102 for agencies, tax codes for enterprises', () => {
    expect(memberCodeProblem('GOV', '000.00.00.H14')).toBeUndefined()
    expect(memberCodeProblem('GOV', '000.00.14.H14')).toBeUndefined()
    expect(memberCodeProblem('GOV', 'H14')).toContain('QCVN 102')
    expect(memberCodeProblem('COM', '0101234567')).toBeUndefined()
    expect(memberCodeProblem('COM', '0101234567-001')).toBeUndefined()
    expect(memberCodeProblem('COM', '12345')).toContain('mã số thuế')
    expect(memberCodeProblem('ORG', 'Z01ABC123')).toBeUndefined()
    expect(fields(() => parseMemberInput({ memberClass: 'GOV', memberCode: 'abc', name: '' }))).toEqual({
      memberCode: 'Mã cơ quan nhà nước phải theo QCVN 102:2016/BTTTT, dạng 000.00.00.H14.',
      name: 'Nhập tên cơ quan, tổ chức.',
    })
  })

  it('parses X-Road-Client headers and refuses anything but four clean parts', () => {
    expect(parseClientHeader('VN/GOV/000.00.00.H14/MOTCUA')).toEqual({
      instance: 'VN',
      memberClass: 'GOV',
      memberCode: '000.00.00.H14',
      subsystemCode: 'MOTCUA',
    })
    for (const bad of [
      undefined,
      ['VN/GOV/000.00.00.H14/A', 'VN/GOV/000.00.00.H14/B'],
      'VN/GOV/000.00.00.H14',
      'VN/GOV/000.00.00.H14/A/B',
      'VN/GOV/000.00.00.H14/A%0D%0AX-Evil:1',
      'VN/GOV/000.00.00.H14/%E0%A4%A',
      'VN/GOV/000.00.00.H14/A:B',
    ]) {
      expect(() => parseClientHeader(bad as string), String(bad)).toThrow()
    }
  })

  it('splits gateway paths into services, metaservices and the path below', () => {
    expect(parseGatewayPath('/r1/VN/GOV/000.00.14.H14/DANCU/tra-cuu/cong-dan/001?x=1')).toEqual({
      kind: 'service',
      service: {
        instance: 'VN',
        memberClass: 'GOV',
        memberCode: '000.00.14.H14',
        subsystemCode: 'DANCU',
        serviceCode: 'tra-cuu',
      },
      rest: '/cong-dan/001?x=1',
    })
    expect(parseGatewayPath('/r1/listClients')).toEqual({ kind: 'listClients' })
    expect(parseGatewayPath('/r1/VN/listClients')).toEqual({ kind: 'listClients', instance: 'VN' })
    expect(parseGatewayPath('/r1/VN/GOV/000.00.14.H14/DANCU/getOpenAPI?serviceCode=a')).toMatchObject({
      kind: 'meta',
      meta: 'getOpenAPI',
      query: '?serviceCode=a',
    })
    expect(() => parseGatewayPath('/r1/VN/GOV/000.00.14.H14')).toThrow()
  })

  it('refuses paths below a service that could escape it', () => {
    expect(restPathProblem('/ho-so/001?x=%20y')).toBeUndefined()
    expect(restPathProblem('/a/../b')).toBe('dot segment')
    expect(restPathProblem('/a/%2E%2e/b')).toBe('dot segment')
    expect(restPathProblem('/a%2f..')).toBe('encoded slash')
    expect(restPathProblem('/a%0d%0aHost:x')).toBe('encoded control character or backslash')
    expect(restPathProblem('/a\\b')).toBe('control character, space or backslash')
  })

  it('matches access-right path patterns segment by segment', () => {
    expect(pathMatches('/**', '/')).toBe(true)
    expect(pathMatches('/**', '/a/b/c')).toBe(true)
    expect(pathMatches('/ho-so/*', '/ho-so/001')).toBe(true)
    expect(pathMatches('/ho-so/*', '/ho-so/001/files')).toBe(false)
    expect(pathMatches('/ho-so/*', '/ho-so')).toBe(false)
    expect(pathMatches('/ho-so/**/files', '/ho-so/001/files')).toBe(true)
    expect(pathMatches('/ho-so/**/files', '/ho-so/files')).toBe(true)
    expect(pathMatches('/echo', '/echo/')).toBe(true)
    expect(pathMatches('/echo', '/other')).toBe(false)
  })

  it('checks access-right input: methods, patterns', () => {
    expect(parseAccessRightInput({ client: 'x', methods: 'get, post' })).toEqual({
      client: 'x',
      methods: ['GET', 'POST'],
      pathPattern: '/**',
    })
    expect(fields(() => parseAccessRightInput({ client: 'x', methods: ['*', 'GET'] }))).toHaveProperty(
      'methods',
    )
    expect(fields(() => parseAccessRightInput({ client: 'x', methods: 'FETCH' }))).toHaveProperty('methods')
    expect(fields(() => parseAccessRightInput({ client: 'x', pathPattern: 'ho-so' }))).toHaveProperty(
      'pathPattern',
    )
    expect(fields(() => parseAccessRightInput({ client: 'x', pathPattern: '/ho-so/a*' }))).toHaveProperty(
      'pathPattern',
    )
  })
})

describe('service input', () => {
  it('accepts an OpenAPI 3 document and refuses other documents with a reason', () => {
    const doc = { openapi: '3.1.0', info: { title: 'A', version: '1' }, paths: {} }
    expect(openApiProblem(doc)).toBeUndefined()
    expect(openApiProblem({ swagger: '2.0', info: { title: 'A', version: '1' }, paths: {} })).toContain(
      'OpenAPI 3',
    )
    expect(openApiProblem({ openapi: '3.0.3', paths: {} })).toContain('info')
    expect(openApiProblem({ openapi: '3.0.3', info: { title: 'A', version: '1' } })).toContain('paths')
    expect(
      openApiProblem({ openapi: '3.0.3', info: { title: 'A', version: '1' }, paths: { '/a': { get: {} } } }),
    ).toContain('responses')
    expect(openApiProblem([])).toContain('đối tượng')
    const errors = fields(() =>
      parseServiceInput({
        code: 'listMethods',
        version: 'v1',
        title: 'x',
        baseUrl: 'https://a.vn',
        openapi: '{',
      }),
    )
    expect(errors.code).toContain('listMethods')
    expect(errors.openapi).toContain('JSON')
    expect(
      fields(() =>
        parseServiceInput({ code: 'a', version: 'v1', title: 'x', baseUrl: 'https://a.vn', timeoutMs: '5' }),
      ),
    ).toHaveProperty('timeoutMs')
  })
})

describe('upstream health and rate limits', () => {
  it('opens after N failures, refuses while open, lets one probe through, and closes on success', () => {
    let now = 0
    const board = createHealthBoard({ failures: 3, openMs: 10_000 }, () => now)
    for (let i = 0; i < 2; i++) {
      expect(board.admit('s')).toBe('call')
      board.failed('s', 'timeout')
    }
    expect(board.admit('s')).toBe('call')
    board.succeeded('s')
    for (let i = 0; i < 3; i++) {
      expect(board.admit('s')).toBe('call')
      board.failed('s', 'ECONNREFUSED')
    }
    expect(board.get('s').state).toBe('open')
    expect(board.admit('s')).toBe('reject')
    now = 10_001
    expect(board.admit('s')).toBe('probe')
    expect(board.admit('s')).toBe('reject')
    board.failed('s', 'HTTP 503')
    expect(board.get('s').state).toBe('open')
    expect(board.admit('s')).toBe('reject')
    now = 20_002
    expect(board.admit('s')).toBe('probe')
    board.succeeded('s')
    expect(board.get('s')).toMatchObject({ state: 'closed', consecutiveFailures: 0, failuresTotal: 6 })
    expect(board.admit('s')).toBe('call')
  })

  it('counts calls per client per minute and says how long to wait', () => {
    let now = 0
    const limiter = createRateLimiter(() => now)
    expect([limiter.take('a', 2), limiter.take('a', 2), limiter.take('b', 2)]).toEqual([0, 0, 0])
    now = 45_000
    expect(limiter.take('a', 2)).toBe(15)
    now = 60_000
    expect(limiter.take('a', 2)).toBe(0)
  })
})
