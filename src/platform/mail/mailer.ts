import nodemailer from 'nodemailer'
import type { Config } from '../config.js'

export type Mail = { to: string; subject: string; text: string }

/** Sends notices to people; a failure is logged, never shown to the user whose action triggered it. */
export type Mailer = { send(mail: Mail): Promise<void>; readonly kind: 'smtp' | 'log' }

type Log = { info(obj: object, msg: string): void; warn(obj: object, msg: string): void }

/**
 * SMTP when SMTP_URL is set. Without it the message goes to the log, so a commune's install with no
 * mail server still shows operators what would have been sent.
 */
export function createMailer(config: Config, log: Log): Mailer {
  if (!config.smtpUrl) {
    return {
      kind: 'log',
      async send(mail) {
        log.info(
          { mail: { to: mail.to, subject: mail.subject } },
          'mail not sent: SMTP_URL is not configured',
        )
      },
    }
  }
  const transport = nodemailer.createTransport(config.smtpUrl)
  return {
    kind: 'smtp',
    async send(mail) {
      try {
        await transport.sendMail({
          from: config.mailFrom,
          to: mail.to,
          subject: mail.subject,
          text: mail.text,
        })
      } catch (error) {
        log.warn({ err: error, to: mail.to, subject: mail.subject }, 'mail delivery failed')
      }
    },
  }
}
