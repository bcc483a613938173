// The session cookie: carries only the random session id, signed with
// secrets.session (via @fastify/cookie's signer, so the gateway pages and the
// proxy path read it the same way).
import fastifyCookie from '@fastify/cookie';
import type { FastifyReply } from 'fastify';

type Signer = ReturnType<typeof fastifyCookie.signerFactory>;

export interface CookieOptions {
  name: string;
  secure: boolean;
  maxAgeMs: number;
}

export class SessionCookie {
  readonly name: string;
  readonly #signer: Signer;
  readonly #options: { path: string; httpOnly: true; sameSite: 'lax'; secure: boolean; maxAge: number };

  constructor(opts: CookieOptions, signer: Signer) {
    this.name = opts.name;
    this.#signer = signer;
    this.#options = { path: '/', httpOnly: true, sameSite: 'lax', secure: opts.secure, maxAge: Math.floor(opts.maxAgeMs / 1000) };
  }

  /** The session id from a Cookie header, or null when absent or not signed by us. */
  readId(cookieHeader: string | undefined): string | null {
    if (!cookieHeader || !cookieHeader.includes(this.name)) return null;
    const value = fastifyCookie.fastifyCookie.parse(cookieHeader)[this.name];
    if (!value) return null;
    const result = this.#signer.unsign(value);
    return result.valid && result.value ? result.value : null;
  }

  /** Sets the cookie on a gateway page's reply (signed by the same signer through @fastify/cookie). */
  set(reply: FastifyReply, id: string): void {
    reply.setCookie(this.name, id, { signed: true, ...this.#options });
  }

  clear(reply: FastifyReply): void {
    reply.clearCookie(this.name, { path: '/' });
  }
}
