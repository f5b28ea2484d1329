import type { FieldErrors } from '../../platform/http/errors.js'
import { defineMessages, translator, type Lang } from '../../platform/i18n/index.js'
import type { RequiredDocument } from '../catalogue/index.js'
import type { DossierFile } from './dossier-files.js'

const messages = defineMessages(
  {
    required: '(bắt buộc)',
    optional: '(nếu có)',
    kinds: 'Bản chính|Bản sao|Bản chính hoặc bản sao|Bản sao chứng thực',
    copies: '{n} bản',
    accepts: 'Nhận tệp {types}, mỗi tệp tối đa {size}. Có thể chọn nhiều tệp (ví dụ ảnh chụp từng trang).',
    remove: 'Xóa tệp {name}',
    choose: 'Chọn tệp cho: {name}',
    noFile: 'Chưa có tệp.',
    reuse: 'Hoặc dùng giấy tờ đã có trong kho dữ liệu của bạn',
  },
  {
    required: '(required)',
    optional: '(if any)',
    kinds: 'Original|Copy|Original or copy|Certified copy',
    copies: '{n} copies',
    accepts:
      'Accepts {types}, up to {size} per file. You may choose several files (e.g. a photo of each page).',
    remove: 'Remove file {name}',
    choose: 'Choose files for: {name}',
    noFile: 'No file yet.',
    reuse: 'Or use a document already in your data store',
  },
)

const KIND_ORDER = ['original', 'copy', 'original_or_copy', 'certified_copy'] as const

export function formatSize(bytes: number, lang: Lang): string {
  const locale = lang === 'vi' ? 'vi-VN' : 'en-GB'
  if (bytes < 1024 * 1024) return `${Math.max(1, Math.round(bytes / 1024)).toLocaleString(locale)} KB`
  return `${(bytes / 1024 / 1024).toLocaleString(locale, { maximumFractionDigits: 1 })} MB`
}

/**
 * The procedure's documents, each with the files already attached (removable) and an input for more. Used
 * inside a multipart form: the citizen's application and the counter's scans. Removal is a submit button of
 * the same form (`remove=<id>`), since forms cannot nest.
 */
export function DocumentUploads(props: {
  documents: readonly RequiredDocument[]
  files: readonly DossierFile[]
  errors: FieldErrors | undefined
  maxBytes: number
  lang: Lang
  allowRemove: boolean
  /** Documents and results of the applicant's data store, offered for reuse (`reuse-<index>`). */
  stored?: readonly { value: string; label: string }[]
}) {
  const t = translator(messages, props.lang)
  const kinds = t('kinds').split('|')
  return (
    <>
      {props.documents.map((doc, index) => {
        const id = `doc-${index}`
        const error = props.errors?.[id]
        const attached = props.files.filter((f) => f.documentIndex === index)
        const types = doc.accept.map((a) => a.toUpperCase()).join(', ')
        return (
          <fieldset class={error ? 'field field-error' : 'field'}>
            <legend>
              <span safe>{`${index + 1}. ${doc.name} `}</span>
              <span class="muted" safe>
                {doc.required ? t('required') : t('optional')}
              </span>
            </legend>
            <p class="hint" id={`${id}-hint`} safe>
              {`${kinds[KIND_ORDER.indexOf(doc.kind)] ?? ''}, ${t('copies', { n: doc.copies })}. ${t(
                'accepts',
                {
                  types,
                  size: formatSize(props.maxBytes, props.lang),
                },
              )}`}
            </p>
            {error ? (
              <p class="error-message" id={`${id}-error`} safe>
                {error}
              </p>
            ) : (
              ''
            )}
            {attached.length > 0 ? (
              <ul class="files">
                {attached.map((file) => (
                  <li>
                    <span safe>{`${file.fileName} (${formatSize(file.size, props.lang)})`}</span>{' '}
                    {props.allowRemove ? (
                      <button
                        type="submit"
                        name="remove"
                        value={file.id}
                        class="link-button"
                        aria-label={t('remove', { name: file.fileName })}
                      >
                        {props.lang === 'vi' ? 'Xóa' : 'Remove'}
                      </button>
                    ) : (
                      ''
                    )}
                  </li>
                ))}
              </ul>
            ) : (
              <p class="muted" safe>
                {t('noFile')}
              </p>
            )}
            <label for={id} class="visually-hidden" safe>
              {t('choose', { name: doc.name })}
            </label>
            <input
              type="file"
              id={id}
              name={id}
              multiple
              accept={doc.accept.map((a) => `.${a}`).join(',')}
              aria-describedby={[`${id}-hint`, error ? `${id}-error` : ''].filter(Boolean).join(' ')}
            />
            {props.stored && props.stored.length > 0 ? (
              <div class="field">
                <label for={`reuse-${index}`} safe>
                  {t('reuse')}
                </label>
                <select id={`reuse-${index}`} name={`reuse-${index}`}>
                  <option value="">—</option>
                  {props.stored.map((option) => (
                    <option value={option.value} safe>
                      {option.label}
                    </option>
                  ))}
                </select>
              </div>
            ) : (
              ''
            )}
          </fieldset>
        )
      })}
    </>
  )
}
