// Request-smuggling shapes: a request whose body length two HTTP parsers
// could read differently must never be forwarded.
//
// Node's parser (llhttp, strict mode) already answers 400 by itself, before
// any handler runs, to: Content-Length together with Transfer-Encoding,
// repeated or list-valued Content-Length, a Transfer-Encoding with chunked
// not last, obsolete line folding, and bare-LF line endings. But it hands the
// request to the handler first and only fails later on the body when the
// Transfer-Encoding does not end in chunked ("gzip", "identity"), and it
// accepts "gzip, chunked", "Chunked", and an empty copy followed by
// "chunked". Those reach us; this check refuses them, and repeats the
// parser's own checks so the guarantee holds under --insecure-http-parser.
import type { IncomingMessage } from 'node:http';

/** A reason to refuse the request with 400, or null when its framing is unambiguous. */
export function checkFraming(req: IncomingMessage): string | null {
  const raw = req.rawHeaders;
  let contentLengths = 0;
  let transferEncodings = 0;
  let contentLength = '';
  let transferEncoding = '';
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    // Only two names matter; compare lengths first to skip the rest cheaply.
    if (name.length === 14 && name.toLowerCase() === 'content-length') {
      contentLengths++;
      contentLength = raw[i + 1] as string;
    } else if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') {
      transferEncodings++;
      transferEncoding = raw[i + 1] as string;
    }
  }
  if (contentLengths === 0 && transferEncodings === 0) return null;
  if (contentLengths > 0 && transferEncodings > 0) return 'both Content-Length and Transfer-Encoding';
  if (contentLengths > 1) return 'more than one Content-Length';
  if (transferEncodings > 1) return 'more than one Transfer-Encoding';
  if (contentLengths === 1 && !/^\d{1,15}$/.test(contentLength)) return 'invalid Content-Length';
  // Transfer-codings are case-insensitive names; anything but the one coding
  // we re-frame on the way out ("chunked", alone) is refused.
  if (transferEncodings === 1 && transferEncoding.trim().toLowerCase() !== 'chunked') {
    return 'Transfer-Encoding other than chunked';
  }
  return null;
}
