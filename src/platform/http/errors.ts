/** Field name → Vietnamese message, in the order the fields appear on the form. */
export type FieldErrors = Record<string, string>

/** Puts field errors in the order the fields appear on the form, so the summary reads top to bottom. */
export function inFormOrder(errors: FieldErrors, order: readonly string[]): FieldErrors {
  const rank = (field: string) => {
    const index = order.indexOf(field)
    return index < 0 ? order.length : index
  }
  return Object.fromEntries(Object.entries(errors).sort(([a], [b]) => rank(a) - rank(b)))
}

/** Base of the errors a user can cause; the handler turns them into a 4xx with a Vietnamese message. */
export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message)
  }
}

/** Thrown when input breaks a rule; carries one message per field. */
export class ValidationError extends AppError {
  constructor(
    readonly fields: FieldErrors,
    message = 'Dữ liệu chưa hợp lệ. Vui lòng kiểm tra lại.',
  ) {
    super(422, 'validation_failed', message, { fields })
  }
}

/** Thrown when the thing asked for does not exist (or the actor may not know it exists). */
export class NotFoundError extends AppError {
  constructor(message = 'Không tìm thấy trang hoặc dữ liệu được yêu cầu.') {
    super(404, 'not_found', message)
  }
}

/** Thrown when the request clashes with the current state, e.g. a duplicate code. */
export class ConflictError extends AppError {
  constructor(message: string, details?: unknown) {
    super(409, 'conflict', message, details)
  }
}

export type ErrorBody = { error: { code: string; message: string; details?: unknown } }

export function errorBody(code: string, message: string, details?: unknown): ErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } }
}
