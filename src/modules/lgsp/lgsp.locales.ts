/**
 * The gateway's refusals: X-Road-style error type (the `type` of the JSON body and the `X-Road-Error` header),
 * HTTP status, and the Vietnamese message a client system's operator reads in their logs.
 */
export const gatewayErrors = {
  badRequest: {
    status: 400,
    type: 'Client.BadRequest',
    message: 'Yêu cầu không đúng dạng của nền tảng tích hợp (LGSP).',
  },
  invalidServiceId: {
    status: 400,
    type: 'Client.InvalidServiceIdentifier',
    message:
      'Địa chỉ dịch vụ không hợp lệ: cần dạng /r1/{INSTANCE}/{CLASS}/{MEMBER}/{SUBSYSTEM}/{SERVICE}/đường-dẫn.',
  },
  invalidClientId: {
    status: 400,
    type: 'Client.InvalidClientIdentifier',
    message:
      'Tiêu đề X-Road-Client thiếu hoặc không hợp lệ: cần đúng một giá trị dạng INSTANCE/CLASS/MEMBER/SUBSYSTEM, mỗi phần gồm chữ, số, “.”, “_”, “-”.',
  },
  invalidHeader: {
    status: 400,
    type: 'Client.InvalidHttpHeader',
    message: 'Tiêu đề X-Road-Id hoặc X-Road-UserId chứa ký tự không được phép.',
  },
  invalidPath: {
    status: 400,
    type: 'Client.InvalidPath',
    message:
      'Đường dẫn gọi dịch vụ chứa đoạn “..”, ký tự điều khiển, dấu “\\” hoặc “/” mã hóa; không được chuyển tiếp.',
  },
  unauthenticated: {
    status: 401,
    type: 'Client.Unauthenticated',
    message:
      'Cần khóa truy cập hợp lệ: gửi tiêu đề Authorization: Bearer <access token> do máy chủ SSO (/oidc/token) cấp; khóa có thể đã hết hạn hoặc bị thu hồi.',
  },
  unknownClient: {
    status: 403,
    type: 'Client.UnknownClient',
    message: 'Hệ thống khách trong tiêu đề X-Road-Client chưa được đăng ký hoặc đã bị vô hiệu hóa.',
  },
  clientMismatch: {
    status: 403,
    type: 'Client.ClientIdentityMismatch',
    message: 'Khóa truy cập không thuộc hệ thống khách ghi trong tiêu đề X-Road-Client.',
  },
  certificateRequired: {
    status: 401,
    type: 'Client.CertificateRequired',
    message:
      'Hệ thống khách này phải xuất trình chứng thư số đã đăng ký (TLS hai chiều) khi gọi qua nền tảng tích hợp.',
  },
  certificateMismatch: {
    status: 403,
    type: 'Client.CertificateMismatch',
    message: 'Chứng thư số xuất trình không phải chứng thư đã đăng ký cho hệ thống khách này.',
  },
  certificateExpired: {
    status: 403,
    type: 'Client.CertificateExpired',
    message: 'Chứng thư số của hệ thống khách đã hết hạn hoặc chưa có hiệu lực; cần đăng ký chứng thư mới.',
  },
  missingScope: {
    status: 403,
    type: 'Client.InsufficientScope',
    message: 'Khóa truy cập không có phạm vi “lgsp” (gọi dịch vụ qua nền tảng tích hợp).',
  },
  accessDenied: {
    status: 403,
    type: 'Server.ServerProxy.AccessDenied',
    message: 'Hệ thống khách chưa được cấp quyền gọi dịch vụ này với phương thức và đường dẫn đã dùng.',
  },
  unknownService: {
    status: 404,
    type: 'Server.ServerProxy.UnknownService',
    message: 'Không có dịch vụ này trong danh mục của nền tảng tích hợp.',
  },
  noOpenApi: {
    status: 404,
    type: 'Server.ServerProxy.UnknownService',
    message: 'Dịch vụ chưa có tài liệu OpenAPI (hoặc thiếu tham số serviceCode).',
  },
  tooLarge: {
    status: 413,
    type: 'Client.MessageTooLarge',
    message: 'Nội dung gửi lên vượt dung lượng tối đa dịch vụ cho phép.',
  },
  rateLimited: {
    status: 429,
    type: 'Client.RateLimitExceeded',
    message: 'Hệ thống khách đã gọi quá số lần cho phép trong một phút; vui lòng thử lại sau.',
  },
  networkError: {
    status: 502,
    type: 'Server.ServerProxy.ServiceFailed.NetworkError',
    message: 'Không kết nối được tới máy chủ cung cấp dịch vụ, hoặc kết nối bị ngắt giữa chừng.',
  },
  forbiddenAddress: {
    status: 502,
    type: 'Server.ServerProxy.ForbiddenAddress',
    message: 'Máy chủ của dịch vụ trỏ tới địa chỉ nội bộ không được phép; nền tảng không chuyển tiếp.',
  },
  serviceDisabled: {
    status: 503,
    type: 'Server.ServerProxy.ServiceDisabled',
    message:
      'Dịch vụ đang tạm ngừng (bị vô hiệu hóa, hoặc máy chủ của dịch vụ không còn trong danh sách được phép).',
  },
  circuitOpen: {
    status: 503,
    type: 'Server.ServerProxy.ServiceUnavailable',
    message:
      'Dịch vụ đang lỗi liên tiếp nên nền tảng tạm ngừng chuyển tiếp để máy chủ cung cấp phục hồi; vui lòng thử lại sau.',
  },
  internalError: {
    status: 500,
    type: 'Server.ServerProxy.InternalError',
    message:
      'Nền tảng tích hợp gặp lỗi nội bộ khi xử lý yêu cầu; lỗi đã được ghi lại để quản trị viên kiểm tra.',
  },
  timeout: {
    status: 504,
    type: 'Server.ServerProxy.ServiceFailed.Timeout',
    message: 'Máy chủ cung cấp dịch vụ không trả lời trong thời gian cho phép.',
  },
} as const

export type GatewayErrorKey = keyof typeof gatewayErrors

/** Health states of an upstream, as the pages name them. */
export const healthText = {
  closed: 'Bình thường',
  open: 'Tạm ngừng chuyển tiếp (lỗi liên tiếp)',
  'half-open': 'Đang thử lại',
} as const

export const memberClassText = {
  GOV: 'GOV — cơ quan nhà nước (mã QCVN 102)',
  COM: 'COM — doanh nghiệp (mã số thuế)',
  ORG: 'ORG — tổ chức khác (QĐ 20/2020)',
} as const
