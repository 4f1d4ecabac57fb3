/**
 * A real SMTP server on loopback (the `smtp-server` package) that keeps every message it is
 * sent, so tests read the e-mails AIUI sends (password-reset links) as a mailbox would.
 */
import { SMTPServer } from "smtp-server";

export interface CaughtMail {
  from: string;
  to: string[];
  /** The whole message as sent (headers and body). */
  raw: string;
}

export interface MailSink {
  /** smtp://127.0.0.1:PORT, for SMTP_URL. */
  url: string;
  messages: CaughtMail[];
  /** The next message to `to` (waits up to `timeoutMs`); messages already read are not returned again. */
  next(to: string, timeoutMs?: number): Promise<CaughtMail>;
  close(): Promise<void>;
}

export async function startMailSink(): Promise<MailSink> {
  const messages: CaughtMail[] = [];
  const taken = new Set<CaughtMail>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString("utf8"),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.server.address() as { port: number };
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    async next(to, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const found = messages.find((m) => !taken.has(m) && m.to.includes(to));
        if (found) {
          taken.add(found);
          return found;
        }
        await Bun.sleep(20);
      }
      throw new Error(`No e-mail to ${to} arrived within ${timeoutMs} ms (caught: ${messages.map((m) => m.to.join(",")).join("; ") || "none"})`);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The reset link in a caught e-mail (quoted-printable soft line breaks undone). */
export function resetLinkIn(mail: CaughtMail): string {
  const body = mail.raw.replace(/=\r?\n/g, "").replace(/=3D/g, "=");
  const link = /https?:\/\/\S+\/reset-password#token=[A-Za-z0-9_-]+/.exec(body)?.[0];
  if (!link) throw new Error(`No reset link in the e-mail:\n${mail.raw}`);
  return link;
}
