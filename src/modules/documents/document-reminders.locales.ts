import { defineMessages } from '../../platform/i18n/index.js'

export const reminderMessages = defineMessages(
  {
    title: 'Nhắc hạn xử lý văn bản',
    intro: 'Bạn có {count} nhắc việc chưa xem: {dueSoon} văn bản sắp đến hạn, {overdue} văn bản quá hạn.',
    kind_due_soon: 'Sắp đến hạn',
    kind_overdue: 'Quá hạn',
    document: 'Văn bản',
    assignee: 'Đơn vị, người xử lý',
    dueAt: 'Hạn xử lý',
    remindedAt: 'Nhắc lúc',
    markRead: 'Đánh dấu đã xem tất cả',
    markedRead: 'Đã đánh dấu đã xem {count} nhắc việc.',
    nothingToMark: 'Không có nhắc việc nào chưa xem.',
    numberOnly: 'Số đến {number}',
  },
  {
    title: 'Deadline reminders',
    intro: 'You have {count} unread reminders: {dueSoon} due soon, {overdue} overdue.',
    kind_due_soon: 'Due soon',
    kind_overdue: 'Overdue',
    document: 'Document',
    assignee: 'Handled by',
    dueAt: 'Deadline',
    remindedAt: 'Reminded at',
    markRead: 'Mark all as seen',
    markedRead: 'Marked {count} reminders as seen.',
    nothingToMark: 'No unread reminders.',
    numberOnly: 'Register number {number}',
  },
)

export type ReminderKey = keyof typeof reminderMessages.vi
