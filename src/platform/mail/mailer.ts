import nodemailer from 'nodemailer'
import type { Config } from '../config.js'

/** `html`, when given, is sent beside the text as multipart/alternative; the text stays the reference. */
export type Mail = { to: string; subject: string; text: string; html?: string }

/**
 * Sends notices to people. `send` logs a failure and never throws, for notices sent in passing (a lockout);
 * `deliver` throws it, for senders that retry (the notifications job queue).
 */
export type Mailer = {
  send(mail: Mail): Promise<void>
  deliver(mail: Mail): Promise<void>
  readonly kind: 'smtp' | 'log'
}

type Log = { info(obj: object, msg: string): void; warn(obj: object, msg: string): void }

/**
 * SMTP when SMTP_URL is set. Without it the message goes to the log, so a commune's install with no
 * mail server still shows operators what would have been sent.
 */
export function createMailer(config: Config, log: Log): Mailer {
  if (!config.smtpUrl) {
    const toLog = async (mail: Mail) => {
      log.info({ mail: { to: mail.to, subject: mail.subject } }, 'mail not sent: SMTP_URL is not configured')
    }
    return { kind: 'log', send: toLog, deliver: toLog }
  }
  const transport = nodemailer.createTransport(config.smtpUrl)
  const deliver = async (mail: Mail) => {
    await transport.sendMail({
      from: config.mailFrom,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      ...(mail.html === undefined ? {} : { html: mail.html }),
    })
  }
  return {
    kind: 'smtp',
    deliver,
    async send(mail) {
      try {
        await deliver(mail)
      } catch (error) {
        log.warn({ err: error, to: mail.to, subject: mail.subject }, 'mail delivery failed')
      }
    },
  }
}
