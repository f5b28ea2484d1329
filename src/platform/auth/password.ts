import { hash, verify } from '@node-rs/argon2'

// OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane.
// algorithm 2 is Argon2id (the package's const enum cannot be imported under isolated modules).
const OPTIONS = { algorithm: 2 as const, memoryCost: 19456, timeCost: 2, parallelism: 1 }

export function hashPassword(password: string): Promise<string> {
  return hash(password.normalize('NFC'), OPTIONS)
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password.normalize('NFC'))
  } catch {
    return false
  }
}

/** A hash to verify against when the user does not exist, so timing does not reveal which usernames exist. */
export const DUMMY_HASH = await hashPassword('dummy-password-for-timing')

/** Returns a Vietnamese reason when the password is too weak, else null. */
export function passwordProblem(password: string): string | null {
  if (password.length < 10) return 'Mật khẩu phải có ít nhất 10 ký tự.'
  if (password.length > 200) return 'Mật khẩu quá dài (tối đa 200 ký tự).'
  if (!/[A-Za-zÀ-ỹ]/.test(password) || !/[0-9]/.test(password)) return 'Mật khẩu phải có cả chữ và số.'
  return null
}
