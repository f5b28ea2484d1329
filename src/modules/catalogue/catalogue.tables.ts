import type { ColumnType, Generated } from 'kysely'
import type { FeeTiming, OnlineLevel } from './procedure.js'

type Json<T> = ColumnType<T, string, string>

export type CatalogueTables = {
  procedures: {
    id: Generated<string>
    code: string
    name: string
    field: string
    online_level: OnlineLevel
    legacy_level: number | null
    processing_days: number
    fee_timing: FeeTiming
    fees: Json<unknown[]>
    documents: Json<unknown[]>
    form: Json<unknown[]>
    result_type: string | null
    legal_basis: Json<string[]>
    unit_types: Json<string[]>
    unit_keys: Json<string[]>
    workflow: string
    effective_from: string
    effective_to: string | null
    is_sample: boolean
    source_note: string | null
    search: ColumnType<string, never, never>
    created_at: Generated<Date>
    updated_at: Generated<Date>
  }
}
