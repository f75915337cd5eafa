import type { IncomingMessage, ServerResponse } from "node:http";

/** An HTTP error with its status. The server logs it with the request ids and responds with JSON. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Headers on every response: no caching of votes or images, no framing, no referrer, strict CSP. */
export const SECURITY_HEADERS: Record<string, string> = {
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
  "Cache-Control": "no-store",
};

/** Sends a JSON body with the security headers. */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    ...SECURITY_HEADERS,
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
  });
  response.end(text);
}

/** Sends bytes of a given type with the security headers. */
export function sendBytes(response: ServerResponse, type: string, bytes: Buffer | string): void {
  response.writeHead(200, {
    ...SECURITY_HEADERS,
    "Content-Type": type,
    "Content-Length": Buffer.byteLength(bytes),
  });
  response.end(bytes);
}

/**
 * Reads a JSON request body of at most `maxBytes`. Rejects a larger declared or streamed body
 * with 413 as soon as the limit is passed, without buffering the rest, a non-JSON content type
 * with 415 and invalid JSON with 400. The rest of an oversize body is read and dropped, so the
 * client still receives the 413 response; the server's request timeout bounds that drain.
 */
export async function readJsonBody(request: IncomingMessage, maxBytes: number): Promise<unknown> {
  const type = request.headers["content-type"] ?? "";
  if (!/^application\/json(\s*;|$)/i.test(type)) {
    request.resume();
    throw new HttpError(415, "Send the body as application/json.");
  }
  const tooLarge = new HttpError(413, `Request body exceeds ${maxBytes} bytes.`);
  if (Number(request.headers["content-length"] ?? "0") > maxBytes) {
    request.resume();
    throw tooLarge;
  }
  const body = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) {
        chunks.push(chunk);
        return;
      }
      request.off("data", onData);
      request.resume();
      reject(tooLarge);
    };
    request.on("data", onData);
    request.once("end", () => resolve(Buffer.concat(chunks)));
    request.once("error", reject);
    // A client that disconnects mid-body never sends "end"; settle instead of waiting forever.
    request.once("close", () => {
      if (!request.complete) reject(new HttpError(400, "Request body was cut off."));
    });
  });
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    throw new HttpError(400, "Request body is not valid JSON.");
  }
}

/** Returns the bearer token of a request, or undefined. */
export function bearerToken(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization;
  const match = header === undefined ? null : /^Bearer ([^\s]+)$/.exec(header);
  return match?.[1];
}
