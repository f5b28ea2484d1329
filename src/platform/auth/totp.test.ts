import { describe, expect, it } from 'vitest'
import { base32Decode, base32Encode, totpCode, verifyTotp } from './totp.js'

// RFC 6238 Appendix B test vectors (SHA-1), truncated to six digits.
const RFC_SECRET = base32Encode(Buffer.from('12345678901234567890'))

describe('TOTP', () => {
  it('matches the RFC 6238 test vectors', () => {
    expect(totpCode(RFC_SECRET, new Date(59_000))).toBe('287082')
    expect(totpCode(RFC_SECRET, new Date(1_111_111_109_000))).toBe('081804')
    expect(totpCode(RFC_SECRET, new Date(1_234_567_890_000))).toBe('005924')
    expect(totpCode(RFC_SECRET, new Date(2_000_000_000_000))).toBe('279037')
  })

  it('accepts a code from the previous step but not an older one', () => {
    const at = new Date(1_700_000_000_000)
    expect(verifyTotp(RFC_SECRET, totpCode(RFC_SECRET, at, -1), at)).toBe(true)
    expect(verifyTotp(RFC_SECRET, totpCode(RFC_SECRET, at, -3), at)).toBe(false)
    expect(verifyTotp(RFC_SECRET, 'abcdef', at)).toBe(false)
  })

  it('round-trips base32', () => {
    const bytes = Buffer.from([0, 1, 2, 250, 251, 252, 253, 254, 255])
    expect(base32Decode(base32Encode(bytes))).toEqual(bytes)
  })
})
