import { describe, expect, it } from 'vitest'
import { amountInWords } from './amount-in-words.js'

describe('amount in words', () => {
  it.each([
    [0, 'Không đồng'],
    [5, 'Năm đồng'],
    [10, 'Mười đồng'],
    [15, 'Mười lăm đồng'],
    [21, 'Hai mươi mốt đồng'],
    [25, 'Hai mươi lăm đồng'],
    [105, 'Một trăm linh năm đồng'],
    [110, 'Một trăm mười đồng'],
    [1_000, 'Một nghìn đồng'],
    [2_050, 'Hai nghìn không trăm năm mươi đồng'],
    [15_000, 'Mười lăm nghìn đồng'],
    [50_000, 'Năm mươi nghìn đồng'],
    [100_000, 'Một trăm nghìn đồng'],
    [215_500, 'Hai trăm mười lăm nghìn năm trăm đồng'],
    [1_000_500, 'Một triệu năm trăm đồng'],
    [1_005_000, 'Một triệu không trăm linh năm nghìn đồng'],
    [2_500_000, 'Hai triệu năm trăm nghìn đồng'],
    [1_000_000_000, 'Một tỷ đồng'],
    [3_000_000_000_021, 'Ba nghìn tỷ không trăm hai mươi mốt đồng'],
  ])('reads %i as "%s"', (amount, words) => {
    expect(amountInWords(amount)).toBe(words)
  })

  it('refuses fractions and negative amounts', () => {
    expect(() => amountInWords(-1)).toThrow(RangeError)
    expect(() => amountInWords(1.5)).toThrow(RangeError)
  })
})
