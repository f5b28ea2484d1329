import { defineMessages } from '../../platform/i18n/index.js'

// {provider} is the configured provider name (EXTERNAL_OIDC_NAME, "VNeID" by default).
export const externalMessages = defineMessages(
  {
    loginWith: 'Đăng nhập bằng tài khoản {provider}',
    loginWithHint:
      'Dành cho công dân. Cán bộ, công chức đăng nhập bằng tên đăng nhập, mật khẩu và mã xác thực.',
    or: 'hoặc',
    errorTitle: 'Không đăng nhập được bằng {provider}',
    tryAgain: 'Thử lại',
    passwordLogin: 'Đăng nhập bằng mật khẩu',
    errorExpired: 'Phiên đăng nhập đã hết hạn hoặc không hợp lệ. Vui lòng thử lại.',
    errorState:
      'Yêu cầu đăng nhập không khớp với phiên làm việc của trình duyệt (có thể đường dẫn đã bị sửa hoặc bạn đã mở đăng nhập ở thẻ khác). Vui lòng thử lại.',
    errorDenied: 'Bạn đã hủy hoặc không cho phép đăng nhập tại nhà cung cấp định danh.',
    errorAssurance:
      'Tài khoản {provider} của bạn chưa đạt mức xác thực cần thiết để làm thủ tục trực tuyến (cần tài khoản định danh điện tử mức độ 2). Vui lòng nâng mức tài khoản rồi đăng nhập lại, hoặc đăng nhập bằng mật khẩu.',
    errorProvider: 'Nhà cung cấp định danh báo lỗi khi xử lý yêu cầu đăng nhập. Vui lòng thử lại sau.',
    errorUnavailable:
      'Không kết nối được với nhà cung cấp định danh. Vui lòng thử lại sau ít phút hoặc đăng nhập bằng mật khẩu.',
    errorRejected:
      'Nhà cung cấp định danh từ chối yêu cầu của cổng dịch vụ công. Vui lòng báo quản trị hệ thống.',
    errorInvalidResponse: 'Không xác minh được thông tin do nhà cung cấp định danh gửi về. Vui lòng thử lại.',
    errorMissingCitizenId:
      'Nhà cung cấp định danh không gửi số định danh cá nhân, nên không thể xác định tài khoản của bạn.',
    errorInvalidCitizenId: 'Số định danh cá nhân do nhà cung cấp định danh gửi về không hợp lệ: {reason}',
    errorMissingName: 'Nhà cung cấp định danh không gửi họ và tên hợp lệ, nên không thể tạo tài khoản.',
    errorOfficial:
      'Tài khoản cán bộ, công chức không đăng nhập bằng nhà cung cấp định danh bên ngoài. Vui lòng đăng nhập bằng tên đăng nhập, mật khẩu và mã xác thực hai lớp.',
    errorDisabled: 'Tài khoản này đã bị khóa. Vui lòng liên hệ bộ phận một cửa.',
    errorOtherIdentity:
      'Tài khoản có số định danh này đã liên kết với một danh tính khác tại nhà cung cấp định danh. Vui lòng liên hệ bộ phận một cửa.',
    errorIdChanged:
      'Số định danh cá nhân do nhà cung cấp định danh gửi về khác với số trên tài khoản đã liên kết. Vui lòng liên hệ bộ phận một cửa.',
    linkedTitle: 'Tài khoản liên kết',
    linkedIntro: 'Bạn có thể đăng nhập bằng tài khoản định danh điện tử đã liên kết dưới đây.',
    linkedAt: 'Liên kết lúc',
    lastLogin: 'Đăng nhập gần nhất',
    verifiedFacts: 'Thông tin đã được xác thực',
    notLinked: 'Tài khoản chưa liên kết với {provider}.',
    linkButton: 'Liên kết với {provider}',
    unlink: 'Hủy liên kết',
    unlinked: 'Đã hủy liên kết với {provider}.',
    unlinkNeedsPassword:
      'Tài khoản chưa có mật khẩu: hãy đặt mật khẩu trước khi hủy liên kết, nếu không bạn sẽ không đăng nhập được nữa.',
    linkNotFound: 'Không tìm thấy liên kết này.',
    setPasswordTitle: 'Đặt mật khẩu',
    setPasswordIntro:
      'Tài khoản được tạo khi bạn đăng nhập bằng {provider} nên chưa có mật khẩu. Đặt mật khẩu để đăng nhập cả khi không dùng {provider}.',
    setPasswordButton: 'Đặt mật khẩu',
    passwordSet: 'Đã đặt mật khẩu. Bạn có thể đăng nhập bằng số định danh, số điện thoại hoặc thư điện tử.',
    passwordAlreadySet: 'Tài khoản đã có mật khẩu; hãy dùng mục Đổi mật khẩu.',
    verifiedBy: 'đã xác thực qua {provider}',
    fact_fullName: 'Họ và tên',
    fact_citizenId: 'Số định danh cá nhân',
    fact_phone: 'Số điện thoại',
    fact_email: 'Thư điện tử',
  },
  {
    loginWith: 'Sign in with {provider}',
    loginWithHint: 'For citizens. Officials sign in with their username, password and authentication code.',
    or: 'or',
    errorTitle: 'Could not sign in with {provider}',
    tryAgain: 'Try again',
    passwordLogin: 'Sign in with a password',
    errorExpired: 'The sign-in has expired or is not valid. Please try again.',
    errorState:
      'The sign-in response does not match this browser session (the link may have been altered, or you started signing in in another tab). Please try again.',
    errorDenied: 'You cancelled or did not allow the sign-in at the identity provider.',
    errorAssurance:
      'Your {provider} account has not reached the level of assurance needed for online procedures (a level-2 electronic identification account is required). Please upgrade the account and sign in again, or sign in with a password.',
    errorProvider:
      'The identity provider reported an error with the sign-in request. Please try again later.',
    errorUnavailable:
      'The identity provider cannot be reached. Please try again in a few minutes or sign in with your password.',
    errorRejected:
      'The identity provider refused the portal’s request. Please tell the system administrator.',
    errorInvalidResponse:
      'The information sent back by the identity provider could not be verified. Please try again.',
    errorMissingCitizenId:
      'The identity provider did not send a personal identification number, so your account cannot be found.',
    errorInvalidCitizenId: 'The identification number sent by the identity provider is not valid: {reason}',
    errorMissingName: 'The identity provider did not send a valid full name, so no account can be created.',
    errorOfficial:
      'Officials do not sign in through an outside identity provider. Please sign in with your username, password and two-factor code.',
    errorDisabled: 'This account is disabled. Please contact the one-stop desk.',
    errorOtherIdentity:
      'The account with this identification number is linked to another identity at the provider. Please contact the one-stop desk.',
    errorIdChanged:
      'The identification number sent by the provider differs from the one on the linked account. Please contact the one-stop desk.',
    linkedTitle: 'Linked accounts',
    linkedIntro: 'You can sign in with the electronic identity linked below.',
    linkedAt: 'Linked',
    lastLogin: 'Last sign-in',
    verifiedFacts: 'Verified details',
    notLinked: 'This account is not linked to {provider}.',
    linkButton: 'Link with {provider}',
    unlink: 'Unlink',
    unlinked: 'Unlinked from {provider}.',
    unlinkNeedsPassword:
      'This account has no password: set one before unlinking, otherwise you could no longer sign in.',
    linkNotFound: 'No such link.',
    setPasswordTitle: 'Set a password',
    setPasswordIntro:
      'This account was created when you signed in with {provider}, so it has no password. Set one to sign in without {provider}.',
    setPasswordButton: 'Set password',
    passwordSet: 'Password set. You can sign in with your identification number, phone number or e-mail.',
    passwordAlreadySet: 'This account already has a password; use Change password.',
    verifiedBy: 'verified by {provider}',
    fact_fullName: 'Full name',
    fact_citizenId: 'Personal identification number',
    fact_phone: 'Phone number',
    fact_email: 'E-mail',
  },
)

export type ExternalKey = keyof typeof externalMessages.vi
