import { Ajv, type ErrorObject } from 'ajv'
import addFormatsModule from 'ajv-formats'
import type { FastifySchemaCompiler } from 'fastify'

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv

// Bodies are taken as sent: a string where a number belongs is an error, an unknown field is an error.
const bodyAjv = addFormats(
  new Ajv({ allErrors: true, removeAdditional: false, coerceTypes: false, useDefaults: true, strict: false }),
)
// Query strings and path parameters are always text, so they are coerced to the declared types.
const partAjv = addFormats(
  new Ajv({
    allErrors: true,
    removeAdditional: false,
    coerceTypes: 'array',
    useDefaults: true,
    strict: false,
  }),
)

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? bodyAjv : partAjv).compile(schema as object)

export type FieldProblem = { field: string; message: string }

/** Turns schema errors into one Vietnamese message per field. */
export function describeSchemaErrors(errors: readonly Partial<ErrorObject>[], part: string): FieldProblem[] {
  return errors.map((error) => {
    const base = (error.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.')
    const params = (error.params ?? {}) as Record<string, unknown>
    switch (error.keyword ?? '') {
      case 'required': {
        const field = [base, params.missingProperty].filter(Boolean).join('.')
        return { field, message: `Thiếu trường bắt buộc "${field}".` }
      }
      case 'additionalProperties': {
        const field = [base, params.additionalProperty].filter(Boolean).join('.')
        return { field, message: `Trường "${field}" không được chấp nhận.` }
      }
      case 'type':
        return {
          field: base || part,
          message: `Trường "${base || part}" phải có kiểu ${typeName(params.type)}.`,
        }
      case 'minLength':
        return { field: base, message: `Trường "${base}" phải có ít nhất ${String(params.limit)} ký tự.` }
      case 'maxLength':
        return { field: base, message: `Trường "${base}" chỉ được tối đa ${String(params.limit)} ký tự.` }
      case 'minimum':
      case 'maximum':
        return { field: base, message: `Trường "${base}" nằm ngoài khoảng cho phép.` }
      case 'enum':
      case 'const':
        return { field: base, message: `Giá trị của "${base}" không nằm trong danh sách cho phép.` }
      case 'pattern':
      case 'format':
        return { field: base, message: `Trường "${base}" không đúng định dạng.` }
      default:
        return { field: base || part, message: `Trường "${base || part}" không hợp lệ.` }
    }
  })
}

function typeName(type: unknown): string {
  const names: Record<string, string> = {
    string: 'chuỗi',
    number: 'số',
    integer: 'số nguyên',
    boolean: 'đúng/sai (boolean)',
    object: 'đối tượng',
    array: 'danh sách',
    null: 'null',
  }
  return names[String(type)] ?? String(type)
}
