/**
 * Sending e-mail (password-reset links) over SMTP with nodemailer, when SMTP_URL is set.
 * Without it there is no mailer and resets go through an administrator or `bun run admin`.
 */
import nodemailer from "nodemailer";

export interface Mailer {
  send(message: { to: string; subject: string; text: string }): Promise<void>;
  close(): void;
}

export function createMailer(config: { smtpUrl: string; from: string } | null): Mailer | null {
  if (!config) return null;
  const transport = nodemailer.createTransport(config.smtpUrl);
  return {
    async send({ to, subject, text }) {
      await transport.sendMail({ from: config.from, to, subject, text });
    },
    close: () => transport.close(),
  };
}
