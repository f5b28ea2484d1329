import { describe, expect, it } from 'vitest'
import {
  buildEnvelope,
  buildStatusMessage,
  BusinessType,
  edxmlTimestamp,
  emptyOrgan,
  parseDocumentId,
  parseEnvelope,
  parseEdxmlDate,
  parseStatusMessage,
  type EdxmlPackage,
} from './edxml.js'

const NOW = new Date('2026-11-27T02:00:00Z')

function samplePackage(): EdxmlPackage {
  return {
    document: {
      from: {
        ...emptyOrgan('000.00.00.H14', 'Ủy ban nhân dân tỉnh Cao Bằng'),
        organAdd: 'Số 011 Hoàng Đình Giong',
      },
      to: [
        emptyOrgan('000.13.00.H14', 'Sở Khoa học và Công nghệ'),
        emptyOrgan('001.90.00.H14', 'UBND phường Thục Phán'),
      ],
      codeNumber: '1234',
      codeNotation: 'UBND-VP',
      place: 'Cao Bằng',
      promulgationDate: '2026-11-20',
      type: { code: 18, name: 'Công văn' },
      subject: 'V/v triển khai chuyển đổi số năm 2027 & báo cáo <kết quả> "quý IV"',
      content: 'Dòng một\nDòng hai — có dấu: Đắk, Quảng, Ủy; viết nguyên văn &lt; và &#x41;',
      signer: { competence: 'KT. CHỦ TỊCH', position: 'Phó Chủ tịch', fullName: 'Nông Văn Chí' },
      dueDate: '2026-12-15',
      toPlaces: ['Các sở, ban, ngành', 'UBND các xã, phường'],
      priority: 1,
      sphereOfPromulgation: 'Liên thông văn bản tỉnh',
      typerNotation: 'TVC',
      promulgationAmount: 30,
      pageAmount: 2,
      appendixes: ['Phụ lục I'],
      responseFor: [
        {
          organId: '000.13.00.H14',
          code: '55/SKHCN-VP',
          promulgationDate: '2026-11-01',
          documentId: '000.13.00.H14,2026/11/01,55/SKHCN-VP',
        },
      ],
      steeringType: 1,
      documentId: '000.00.00.H14,2026/11/20,1234/UBND-VP',
    },
    attachments: [
      {
        contentId: '5b2f7d0c-1111-4222-8333-944455556666',
        name: 'CV 1234-UBND-VP.pdf',
        contentType: 'application/pdf',
        description: 'Văn bản chính',
        bytes: Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(300, 0xe2)]),
      },
      {
        contentId: '7c3a8e1d-2222-4333-8444-a55566667777',
        name: 'Phụ lục.docx',
        contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
        description: '',
        bytes: Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 1, 2, 3, 255]),
      },
    ],
  }
}

const problemsOf = (xml: string) => {
  const result = parseEnvelope(xml)
  if (result.ok) throw new Error('expected a refusal')
  return result.problems.join('\n')
}

describe('edXML envelope', () => {
  it('reads back exactly what it wrote, attachments byte for byte', () => {
    const pkg = samplePackage()
    const xml = buildEnvelope(pkg, NOW)
    expect(xml).toContain('xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"')
    expect(xml).toContain('<edXML:PromulgationDate>2026/11/20</edXML:PromulgationDate>')
    expect(xml).toContain('&amp; báo cáo &lt;kết quả&gt; &quot;quý IV&quot;')
    const result = parseEnvelope(xml)
    if (!result.ok) throw new Error(result.problems.join(' '))
    expect(result.package.document).toEqual(pkg.document)
    expect(
      result.package.attachments.map((a) =>
        a.bytes.equals(pkg.attachments.find((b) => b.contentId === a.contentId)!.bytes),
      ),
    ).toEqual([true, true])
    expect(result.package.attachments.map(({ bytes: _b, ...rest }) => rest)).toEqual(
      pkg.attachments.map(({ bytes: _b, ...rest }) => rest),
    )
  })

  it('accepts an envelope with a prefixed default namespace and dd/MM/yyyy dates, deriving a missing DocumentId', () => {
    const xml = buildEnvelope(samplePackage(), NOW)
      .replace(
        '<edXML:PromulgationDate>2026/11/20</edXML:PromulgationDate>',
        '<edXML:PromulgationDate>20/11/2026</edXML:PromulgationDate>',
      )
      .replace(/<edXML:DocumentId>[^<]*<\/edXML:DocumentId>\n/, '')
    const result = parseEnvelope(xml)
    if (!result.ok) throw new Error(result.problems.join(' '))
    expect(result.package.document.promulgationDate).toBe('2026-11-20')
    expect(result.package.document.documentId).toBe('000.00.00.H14,2026/11/20,1234/UBND-VP')
  })

  it('refuses what is not XML, naming the line', () => {
    expect(problemsOf('<edXML><a></edXML>')).toMatch(/^Tệp không phải XML hợp lệ: lỗi cú pháp ở dòng 1/)
    expect(problemsOf('   ')).toBe('Tệp edXML trống.')
  })

  it('refuses a DOCTYPE (entity expansion) and names that could reach a prototype', () => {
    const xml = buildEnvelope(samplePackage(), NOW)
    expect(problemsOf(xml.replace('<edXML ', '<!DOCTYPE edXML [<!ENTITY x "y">]>\n<edXML '))).toMatch(
      /DOCTYPE/,
    )
    expect(
      problemsOf(xml.replace('<edXML:Subject>', '<__proto__><x>1</x></__proto__><edXML:Subject>')),
    ).toMatch(/tên phần tử không hợp lệ/)
  })

  it('refuses XML outside the edXML namespace', () => {
    const xml = buildEnvelope(samplePackage(), NOW).replace(
      'xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"',
      'xmlns="urn:other"',
    )
    expect(problemsOf(xml)).toMatch(
      /phần tử gốc phải là edXML trong không gian tên http:\/\/www\.mic\.gov\.vn/,
    )
  })

  it('lists every missing or malformed field of an incomplete header', () => {
    const xml = buildEnvelope(samplePackage(), NOW)
      .replace(/<edXML:Subject>[^<]*<\/edXML:Subject>/, '')
      .replace('<edXML:CodeNotation>UBND-VP</edXML:CodeNotation>', '<edXML:CodeNotation/>')
      .replace('<edXML:OrganId>000.00.00.H14</edXML:OrganId>', '<edXML:OrganId>H14</edXML:OrganId>')
      .replace('<edXML:DueDate>2026/12/15</edXML:DueDate>', '<edXML:DueDate>2026/02/30</edXML:DueDate>')
    const problems = problemsOf(xml)
    expect(problems).toContain('Thiếu MessageHeader/Subject (trích yếu).')
    expect(problems).toContain('Thiếu MessageHeader/Code/CodeNotation (ký hiệu văn bản).')
    expect(problems).toContain('MessageHeader/From/OrganId "H14" không đúng mã định danh theo QCVN 102:2016')
    expect(problems).toContain('MessageHeader/DueDate (hạn trả lời) "2026/02/30" không phải ngày hợp lệ')
  })

  it('refuses attachments that do not match the manifest or are not base64', () => {
    const pkg = samplePackage()
    const xml = buildEnvelope(pkg, NOW)
    const second = pkg.attachments[1]!.contentId
    const noContent = xml.replace(
      new RegExp(
        `<Attachment>\\s*<ContentType>[^<]*</ContentType>\\s*<ContentId>${second}[\\s\\S]*?</Attachment>`,
      ),
      '',
    )
    expect(problemsOf(noContent)).toContain(
      `Thiếu nội dung của tệp "Phụ lục.docx" (mã ${second}) trong AttachmentEncoded.`,
    )
    const badBase64 = xml.replace(
      /<ContentTransferEncoded>UEsDBAABAgP\/<\/ContentTransferEncoded>/,
      '<ContentTransferEncoded>@@@@</ContentTransferEncoded>',
    )
    expect(problemsOf(badBase64)).toContain('Nội dung tệp đính kèm "Phụ lục.docx" không phải base64 hợp lệ.')
    const noAttachments = buildEnvelope({ ...pkg, attachments: [] }, NOW)
    expect(problemsOf(noAttachments)).toMatch(/Gói tin không có tệp đính kèm/)
  })

  it('writes and reads a recall without files, an update, and a replacement naming what it replaces', () => {
    const pkg = samplePackage()
    const recall = buildEnvelope(
      {
        ...pkg,
        attachments: [],
        business: {
          type: BusinessType.recall,
          reason: 'Văn bản ban hành sai thẩm quyền',
          documentId: pkg.document.documentId,
          replacements: [],
        },
      },
      NOW,
    )
    expect(recall).toContain('<edXML:BussinessDocType>1</edXML:BussinessDocType>')
    const read = parseEnvelope(recall)
    if (!read.ok) throw new Error(read.problems.join(' '))
    expect(read.package.business).toEqual({
      type: 1,
      reason: 'Văn bản ban hành sai thẩm quyền',
      documentId: '000.00.00.H14,2026/11/20,1234/UBND-VP',
      replacements: [],
    })
    expect(read.package.attachments).toEqual([])

    const replacement = buildEnvelope(
      {
        ...pkg,
        business: {
          type: BusinessType.replace,
          reason: 'Thay thế văn bản số 1200/UBND-VP',
          documentId: pkg.document.documentId,
          replacements: [
            {
              documentId: '000.00.00.H14,2026/11/10,1200/UBND-VP',
              organIds: ['000.13.00.H14', '001.90.00.H14'],
            },
          ],
        },
      },
      NOW,
    )
    const replaced = parseEnvelope(replacement)
    if (!replaced.ok) throw new Error(replaced.problems.join(' '))
    expect(replaced.package.business.replacements).toEqual([
      { documentId: '000.00.00.H14,2026/11/10,1200/UBND-VP', organIds: ['000.13.00.H14', '001.90.00.H14'] },
    ])
    // A package without a Bussiness part is a new document.
    const plain = parseEnvelope(
      buildEnvelope(pkg, NOW).replace(/<edXML:Bussiness>[\s\S]*<\/edXML:Bussiness>/, ''),
    )
    if (!plain.ok) throw new Error(plain.problems.join(' '))
    expect(plain.package.business.type).toBe(0)
  })

  it('refuses an unknown business type, a recall without a reason and a replacement naming nothing', () => {
    const xml = buildEnvelope(samplePackage(), NOW)
    expect(
      problemsOf(
        xml.replace(
          '<edXML:BussinessDocType>0</edXML:BussinessDocType>',
          '<edXML:BussinessDocType>7</edXML:BussinessDocType>',
        ),
      ),
    ).toContain(
      'Bussiness/BussinessDocType "7" không hợp lệ: 0 văn bản mới, 1 thu hồi, 2 cập nhật, 3 thay thế.',
    )
    const noReason = xml
      .replace(
        '<edXML:BussinessDocType>0</edXML:BussinessDocType>',
        '<edXML:BussinessDocType>1</edXML:BussinessDocType>',
      )
      .replace(/<edXML:BussinessDocReason>[^<]*<\/edXML:BussinessDocReason>/, '')
    expect(problemsOf(noReason)).toContain(
      'Thiếu Bussiness/BussinessDocReason: gói tin thu hồi phải nêu lý do.',
    )
    const noTarget = xml.replace(
      '<edXML:BussinessDocType>0</edXML:BussinessDocType>',
      '<edXML:BussinessDocType>3</edXML:BussinessDocType>',
    )
    expect(problemsOf(noTarget)).toContain(
      'Gói tin thay thế thiếu Bussiness/ReplacementInfoList/ReplacementInfo/DocumentId (văn bản bị thay thế).',
    )
  })

  it('writes a status message answering the document it is about', () => {
    const xml = buildStatusMessage({
      responseFor: {
        organId: '000.00.00.H14',
        code: '1234/UBND-VP',
        promulgationDate: '2026-11-20',
        documentId: '000.00.00.H14,2026/11/20,1234/UBND-VP',
      },
      from: emptyOrgan('000.13.00.H14', 'Sở Khoa học và Công nghệ'),
      code: '03',
      description: 'Đã tiếp nhận',
      at: NOW,
      staff: { department: 'Văn phòng Sở', name: 'Triệu Thị Thu', email: '' },
    })
    expect(xml).toContain('<edXML:StatusCode>03</edXML:StatusCode>')
    expect(xml).toContain('<edXML:DocumentId>000.00.00.H14,2026/11/20,1234/UBND-VP</edXML:DocumentId>')
    expect(xml).toContain('<edXML:Timestamp>2026/11/27 09:00:00</edXML:Timestamp>')
  })

  it('reads back a status message 15 answering a recall, and refuses one with a wrong code or time', () => {
    const xml = buildStatusMessage({
      responseFor: {
        organId: '000.13.00.H14',
        code: '05/QĐ-SKHCN',
        promulgationDate: '2026-11-27',
        documentId: '000.13.00.H14,2026/11/27,05/QĐ-SKHCN',
      },
      from: emptyOrgan('000.00.00.G22', 'Văn phòng Chính phủ'),
      code: '15',
      description: 'Đồng ý thu hồi văn bản.',
      at: NOW,
      staff: { department: 'Văn thư', name: 'Lê Văn An', email: '' },
    })
    const read = parseStatusMessage(xml)
    if (!read.ok) throw new Error(read.problems.join(' '))
    expect(read.status).toEqual({
      responseFor: {
        organId: '000.13.00.H14',
        code: '05/QĐ-SKHCN',
        promulgationDate: '2026-11-27',
        documentId: '000.13.00.H14,2026/11/27,05/QĐ-SKHCN',
      },
      from: emptyOrgan('000.00.00.G22', 'Văn phòng Chính phủ'),
      code: '15',
      description: 'Đồng ý thu hồi văn bản.',
      at: NOW,
      staff: { department: 'Văn thư', name: 'Lê Văn An', email: '' },
    })
    const bad = parseStatusMessage(
      xml
        .replace('<edXML:StatusCode>15</edXML:StatusCode>', '<edXML:StatusCode>99</edXML:StatusCode>')
        .replace(
          '<edXML:Timestamp>2026/11/27 09:00:00</edXML:Timestamp>',
          '<edXML:Timestamp>hôm nay</edXML:Timestamp>',
        ),
    )
    expect(bad.ok).toBe(false)
    expect(bad.ok ? '' : bad.problems.join('\n')).toContain(
      'Status/StatusCode "99" không hợp lệ: dùng 01–06, 13, 15 hoặc 16.',
    )
    expect(bad.ok ? '' : bad.problems.join('\n')).toContain('Status/Timestamp "hôm nay" không đúng định dạng')
    expect(parseStatusMessage(buildEnvelope(samplePackage(), NOW))).toEqual({
      ok: false,
      problems: ['Thiếu phần tử edXMLHeader/Status.'],
    })
  })

  it('splits a DocumentId into agency, date, number and notation', () => {
    expect(parseDocumentId('000.13.00.H14,2026/11/27,05/QĐ-SKHCN')).toEqual({
      organId: '000.13.00.H14',
      date: '2026-11-27',
      codeNumber: '05',
      codeNotation: 'QĐ-SKHCN',
    })
    expect(parseDocumentId('H14,2026/11/27,05/QĐ')).toBeNull()
    expect(parseDocumentId('000.13.00.H14,27-11,05/QĐ')).toBeNull()
  })

  it('reads the date forms senders use and rejects impossible days', () => {
    expect(parseEdxmlDate('2026/11/20')).toBe('2026-11-20')
    expect(parseEdxmlDate('2026-11-20')).toBe('2026-11-20')
    expect(parseEdxmlDate('20/11/2026')).toBe('2026-11-20')
    expect(parseEdxmlDate('2026/13/01')).toBeNull()
    expect(parseEdxmlDate('2026/11/20 10:00:00')).toBeNull()
    expect(edxmlTimestamp(new Date('2026-12-31T18:30:05Z'))).toBe('2027/01/01 01:30:05')
  })
})
