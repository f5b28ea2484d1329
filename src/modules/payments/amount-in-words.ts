const DIGITS = ['không', 'một', 'hai', 'ba', 'bốn', 'năm', 'sáu', 'bảy', 'tám', 'chín']
// Each group of three digits, from the right; past a billion the units repeat after "tỷ" (nghìn tỷ, triệu tỷ).
const SCALES = ['', 'nghìn', 'triệu', 'tỷ', 'nghìn tỷ', 'triệu tỷ']

/**
 * A group of three digits as read aloud. `full` when a higher group precedes it, so its zero hundreds are read
 * ("một nghìn không trăm linh năm"), as amounts are written on receipts and invoices.
 */
function readGroup(n: number, full: boolean): string {
  const hundreds = Math.floor(n / 100)
  const tens = Math.floor((n % 100) / 10)
  const ones = n % 10
  const words: string[] = []
  if (hundreds > 0 || full) words.push(DIGITS[hundreds]!, 'trăm')
  if (tens > 1) {
    words.push(DIGITS[tens]!, 'mươi')
  } else if (tens === 1) {
    words.push('mười')
  } else if (ones > 0 && words.length > 0) {
    // The northern reading, used in Cao Bằng: "một trăm linh năm".
    words.push('linh')
  }
  if (ones > 0) {
    if (ones === 1 && tens > 1) words.push('mốt')
    else if (ones === 5 && tens > 0) words.push('lăm')
    else words.push(DIGITS[ones]!)
  }
  return words.join(' ')
}

/**
 * An amount of đồng in Vietnamese words, capitalised, as the "Số tiền bằng chữ" line of a receipt:
 * 15000 → "Mười lăm nghìn đồng", 1005000 → "Một triệu không trăm linh năm nghìn đồng".
 */
export function amountInWords(amount: number): string {
  if (!Number.isSafeInteger(amount) || amount < 0) {
    throw new RangeError(`Số tiền phải là số nguyên không âm (got ${amount})`)
  }
  if (amount === 0) return 'Không đồng'
  const groups: number[] = []
  for (let rest = amount; rest > 0; rest = Math.floor(rest / 1000)) groups.push(rest % 1000)
  const parts: string[] = []
  for (let i = groups.length - 1; i >= 0; i--) {
    const group = groups[i]!
    if (group === 0) continue
    parts.push(readGroup(group, i < groups.length - 1), SCALES[i]!)
  }
  const text = parts.filter(Boolean).join(' ')
  return `${text.charAt(0).toUpperCase()}${text.slice(1)} đồng`
}
