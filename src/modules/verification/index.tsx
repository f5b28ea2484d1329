import type { Readable } from 'node:stream'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import type { Config } from '../../platform/config.js'
import { ValidationError } from '../../platform/http/errors.js'
import { ErrorSchema } from '../../platform/http/openapi.js'
import { sendPage } from '../../platform/http/plugin.js'
import { readMultipart, type IncomingFile } from '../../platform/http/uploads.js'
import { common } from '../../platform/i18n/common.js'
import { defineMessages, translator } from '../../platform/i18n/index.js'
import { verifyPdf, type SigningKeys, type VerifyResult } from '../../platform/signing/index.js'
import { CsrfField, ErrorSummary } from '../../platform/views/components.js'
import { formatDateTime } from '../../platform/views/format.js'
import { Layout } from '../../platform/views/layout.js'

const messages = defineMessages(
  {
    title: 'Kiểm tra chữ ký số trên văn bản',
    intro:
      'Tải lên tệp PDF (giấy tiếp nhận, phiếu, kết quả giải quyết, biên lai…) để kiểm tra chữ ký số: ai đã ký, chữ ký có hợp lệ không, và văn bản có bị sửa sau khi ký không. Tệp chỉ được kiểm tra, không được lưu lại.',
    file: 'Tệp PDF cần kiểm tra',
    check: 'Kiểm tra',
    result: 'Kết quả kiểm tra',
    unsigned: 'Tệp này không có chữ ký số.',
    valid: 'Chữ ký số hợp lệ; văn bản chưa bị thay đổi sau khi ký.',
    invalid: 'Chữ ký số KHÔNG hợp lệ hoặc văn bản đã bị thay đổi sau khi ký.',
    signer: 'Người ký (chủ thể chứng thư)',
    organisation: 'Tổ chức (mã đơn vị)',
    issuer: 'Tổ chức cấp chứng thư',
    signedAt: 'Thời điểm ký',
    reason: 'Nội dung',
    intact: 'Nội dung được ký còn nguyên vẹn',
    whole: 'Chữ ký bao trùm toàn bộ tệp',
    laterSigned: 'Không — phần thêm sau được chữ ký tiếp theo bao trùm',
    trusted: 'Chứng thư số được tin cậy',
    yes: 'Có',
    no: 'Không',
    problems: 'Vấn đề phát hiện',
    trialNote:
      'Bản dùng thử: các đơn vị ký bằng chứng thư của CA thử nghiệm sinh tự động, chỉ để dùng thử, không có giá trị pháp lý.',
  },
  {
    title: 'Check the digital signature of a document',
    intro:
      'Upload a PDF (receipt, form, result, payment receipt…) to check its digital signature: who signed, whether the signature is valid, and whether the document was changed after signing. The file is only checked, never kept.',
    file: 'PDF file to check',
    check: 'Check',
    result: 'Result',
    unsigned: 'This file has no digital signature.',
    valid: 'The signature is valid; the document has not been changed since it was signed.',
    invalid: 'The signature is NOT valid, or the document was changed after signing.',
    signer: 'Signer (certificate subject)',
    organisation: 'Organisation (unit code)',
    issuer: 'Certificate issuer',
    signedAt: 'Signed at',
    reason: 'Reason',
    intact: 'Signed content unchanged',
    whole: 'Signature covers the whole file',
    laterSigned: 'No — what was added later is covered by the next signature',
    trusted: 'Certificate trusted',
    yes: 'Yes',
    no: 'No',
    problems: 'Problems found',
    trialNote:
      'Trial installation: units sign with certificates of an automatically generated test CA, for trying only, with no legal value.',
  },
)

/**
 * A signature counts only when it is right, unchanged, chains to a trusted CA, and covers the whole file or
 * was followed by a later signature that does (a second signature appended to the file).
 */
export function acceptable(result: VerifyResult): boolean {
  return (
    result.signed &&
    result.signatures.every(
      (s) => s.valid && s.intact && (s.coversWholeDocument || s.laterSigned) && s.trusted,
    )
  )
}

async function readAll(stream: Readable, max: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of stream) {
    size += (chunk as Buffer).length
    if (size > max) {
      stream.resume()
      throw new ValidationError({
        file: `Tệp vượt quá dung lượng cho phép (${Math.round(max / 1048576)} MB).`,
      })
    }
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}

/**
 * Verification of the platform's signed PDFs, for anyone: the citizen who received a result, the agency it
 * is shown to. Trusted: the trial CA in trial mode, and every PEM in `<SIGNING_DIR>/trusted/`.
 */
export function createVerificationModule(deps: { config: Config; signing: SigningKeys }) {
  const { config, signing } = deps

  async function verify(bytes: Buffer) {
    if (bytes.length === 0) throw new ValidationError({ file: 'Chọn một tệp PDF.' })
    return verifyPdf(bytes, await signing.trustAnchors())
  }

  async function readUpload(request: FastifyRequest): Promise<Buffer> {
    let bytes: Buffer | undefined
    const keep = async (file: IncomingFile) => {
      if (file.field === 'file' && !bytes) bytes = await readAll(file.stream, config.uploadMaxBytes)
    }
    await readMultipart(request, config.secretKey, keep, { changesState: false })
    if (!bytes) throw new ValidationError({ file: 'Chọn một tệp PDF.' })
    return bytes
  }

  return {
    verify,
    routes: async (app: FastifyInstance) => {
      const render = (
        request: FastifyRequest,
        reply: FastifyReply,
        result?: VerifyResult,
        errors?: Record<string, string>,
        status = 200,
      ) => {
        const ctx = app.pageContext(request, reply)
        const t = translator(messages, ctx.lang)
        const yesNo = (value: boolean) => (value ? t('yes') : t('no'))
        return sendPage(
          reply,
          <Layout ctx={ctx} title={t('title')}>
            <h1 safe>{t('title')}</h1>
            <ErrorSummary errors={errors} title={translator(common, ctx.lang)('errorSummaryTitle')} />
            <p safe>{t('intro')}</p>
            {config.signingTestCertificates ? (
              <p class="hint" safe>
                {t('trialNote')}
              </p>
            ) : (
              ''
            )}
            <form method="post" action="/verify" enctype="multipart/form-data" novalidate>
              <CsrfField token={ctx.csrf} />
              <div class={errors?.file ? 'field field-error' : 'field'}>
                <label for="file" safe>
                  {t('file')}
                </label>
                {errors?.file ? (
                  <p class="error-message" id="file-error" safe>
                    {errors.file}
                  </p>
                ) : (
                  ''
                )}
                <input type="file" id="file" name="file" accept=".pdf,application/pdf" />
              </div>
              <button type="submit" safe>
                {t('check')}
              </button>
            </form>
            {result ? (
              <section aria-labelledby="result-title">
                <h2 id="result-title" safe>
                  {t('result')}
                </h2>
                <p id="verdict" class={acceptable(result) ? 'notice' : 'error-message'} role="status" safe>
                  {!result.signed ? t('unsigned') : acceptable(result) ? t('valid') : t('invalid')}
                </p>
                {result.signatures.map((s) => (
                  <table>
                    <tbody>
                      {(
                        [
                          ['signer', s.signerName ?? ''],
                          ['organisation', s.organisation ?? ''],
                          ['issuer', s.issuerName ?? ''],
                          ['signedAt', formatDateTime(s.signedAt, ctx.lang)],
                          ['reason', s.reason ?? ''],
                          ['intact', yesNo(s.intact && s.valid)],
                          [
                            'whole',
                            s.coversWholeDocument
                              ? yesNo(true)
                              : s.laterSigned
                                ? t('laterSigned')
                                : yesNo(false),
                          ],
                          ['trusted', yesNo(s.trusted)],
                        ] as const
                      ).map(([key, value]) => (
                        <tr>
                          <th scope="row" safe>
                            {t(key)}
                          </th>
                          <td safe>{value}</td>
                        </tr>
                      ))}
                      {s.problems.length > 0 ? (
                        <tr>
                          <th scope="row" safe>
                            {t('problems')}
                          </th>
                          <td>
                            <ul>
                              {s.problems.map((p) => (
                                <li safe>{p}</li>
                              ))}
                            </ul>
                          </td>
                        </tr>
                      ) : (
                        ''
                      )}
                    </tbody>
                  </table>
                ))}
              </section>
            ) : (
              ''
            )}
          </Layout>,
          status,
        )
      }

      app.get('/verify', async (request, reply) => render(request, reply))
      app.post('/verify', { config: { multipart: true } }, async (request, reply) => {
        try {
          return render(request, reply, await verify(await readUpload(request)))
        } catch (error) {
          if (error instanceof ValidationError) return render(request, reply, undefined, error.fields, 422)
          throw error
        }
      })
    },
    api: async (app: FastifyInstance) => {
      const Signature = Type.Object({
        valid: Type.Boolean(),
        intact: Type.Boolean(),
        coversWholeDocument: Type.Boolean(),
        laterSigned: Type.Boolean(),
        trusted: Type.Boolean(),
        signerName: Type.Union([Type.String(), Type.Null()]),
        organisation: Type.Union([Type.String(), Type.Null()]),
        issuerName: Type.Union([Type.String(), Type.Null()]),
        serial: Type.Union([Type.String(), Type.Null()]),
        signedAt: Type.Union([Type.String(), Type.Null()]),
        reason: Type.Union([Type.String(), Type.Null()]),
        problems: Type.Array(Type.String()),
      })
      app.post(
        '/verify',
        {
          config: { multipart: true },
          schema: {
            tags: ['Chữ ký số'],
            summary:
              'Kiểm tra chữ ký số của một tệp PDF (multipart/form-data, trường "file"); tệp không được lưu',
            security: [],
            consumes: ['multipart/form-data'],
            response: {
              200: Type.Object({
                signed: Type.Boolean(),
                acceptable: Type.Boolean(),
                signatures: Type.Array(Signature),
              }),
              400: ErrorSchema,
              413: ErrorSchema,
              415: ErrorSchema,
              422: ErrorSchema,
            },
          },
        },
        async (request) => {
          const result = await verify(await readUpload(request))
          return {
            signed: result.signed,
            acceptable: acceptable(result),
            signatures: result.signatures.map((s) => ({ ...s, signedAt: s.signedAt?.toISOString() ?? null })),
          }
        },
      )
    },
  }
}
