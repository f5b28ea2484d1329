import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  gatewayTime,
  parseGatewayTime,
  parseQuery,
  sign,
  signingString,
  toQuery,
  verify,
} from './signed-query.js'

const SECRET = 'sandbox-secret-sandbox-secret-sandbox-secret'
const params = {
  vnp_TxnRef: '001.90.00.H14-261127-0001-TT1',
  vnp_Amount: '1500000',
  vnp_OrderInfo: 'Nộp phí, lệ phí hồ sơ',
  vnp_TmnCode: 'CBDVC001',
}

describe('signed gateway parameters', () => {
  it('signs the parameters sorted by name and form-encoded, with HMAC-SHA512 in hex', () => {
    expect(signingString(params)).toBe(
      'vnp_Amount=1500000&vnp_OrderInfo=N%E1%BB%99p+ph%C3%AD%2C+l%E1%BB%87+ph%C3%AD+h%E1%BB%93+s%C6%A1' +
        '&vnp_TmnCode=CBDVC001&vnp_TxnRef=001.90.00.H14-261127-0001-TT1',
    )
    const signed = sign(params, SECRET)
    expect(signed.vnp_SecureHash).toBe(
      createHmac('sha512', SECRET).update(signingString(params)).digest('hex'),
    )
    expect(verify(signed, SECRET)).toBe(true)
  })

  it('survives a trip through a query string, and fails on any change', () => {
    const signed = sign(params, SECRET)
    const back = parseQuery(toQuery(signed))!
    expect(back).toEqual(signed)
    expect(verify(back, SECRET)).toBe(true)
    expect(verify({ ...back, vnp_Amount: '100000' }, SECRET)).toBe(false)
    expect(verify({ ...back, vnp_Extra: '1' }, SECRET)).toBe(false)
    expect(verify(back, `${SECRET}x`)).toBe(false)
    expect(verify({ ...back, vnp_SecureHash: 'abc' }, SECRET)).toBe(false)
    const { vnp_SecureHash: _, ...unsigned } = back
    expect(verify(unsigned, SECRET)).toBe(false)
  })

  it('refuses a query string that names a parameter twice', () => {
    expect(parseQuery('vnp_Amount=1&vnp_Amount=2')).toBeNull()
  })

  it('writes and reads times as yyyyMMddHHmmss in Vietnam time', () => {
    const at = new Date('2026-11-27T02:05:09Z')
    expect(gatewayTime(at)).toBe('20261127090509')
    expect(parseGatewayTime('20261127090509')).toEqual(at)
    expect(parseGatewayTime('2026-11-27')).toBeNull()
  })
})
