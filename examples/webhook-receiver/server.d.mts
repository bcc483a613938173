// Types for server.mjs, so TypeScript code (and its tests) can import it.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';

export interface ReceivedEvent {
  type: string;
  timestamp: string;
  data: {
    user: { username: string; email: string | null };
    device?: { name: string; type: string };
    request: { ip: string; user_agent: string; path: string; site: string };
    reason?: string;
  };
}

export interface EmailMessage {
  to: string | null;
  subject: string;
  text: string;
}

export function decodeSecret(text: string | undefined): Buffer;
export function verifySignature(key: Buffer, headers: IncomingHttpHeaders, body: string, nowMs: number): string | null;
export function backupCodeWarning(event: ReceivedEvent): EmailMessage | null;
export function createWebhookHandler(options: {
  secret: string | undefined;
  now?: () => number;
  onEvent?: (event: ReceivedEvent, id: string) => void | Promise<void>;
  notify?: (message: EmailMessage) => void | Promise<void>;
}): (req: IncomingMessage, res: ServerResponse) => void;
