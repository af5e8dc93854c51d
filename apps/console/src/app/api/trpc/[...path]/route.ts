/**
 * /api/trpc/* streamed through to the control plane. A route handler rather than a rewrite: Next's rewrite
 * proxy may buffer and time out a subscription's event stream, this passes each chunk on as it arrives.
 */
export const dynamic = "force-dynamic";

const CONTROL_PLANE_URL = process.env.LOOM_CP_URL ?? "http://127.0.0.1:5681";

/** Per-connection headers (RFC 9110 §7.6.1) and the ones fetch computes itself. */
const NOT_FORWARDED = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "te",
  "trailer",
  "host",
  "content-length",
]);

function forwardedRequestHeaders(request: Request): Headers {
  const url = new URL(request.url);
  const headers = new Headers();
  request.headers.forEach((value, name) => {
    if (!NOT_FORWARDED.has(name)) headers.append(name, value);
  });
  // The control plane compares a mutation's Origin with the host the browser used (its CSRF rule).
  headers.set(
    "x-forwarded-host",
    request.headers.get("x-forwarded-host") ?? request.headers.get("host") ?? url.host,
  );
  headers.set("x-forwarded-proto", request.headers.get("x-forwarded-proto") ?? url.protocol.replace(":", ""));
  return headers;
}

function forwardedResponseHeaders(upstream: Response): Headers {
  const headers = new Headers();
  upstream.headers.forEach((value, name) => {
    // fetch has already decoded the body, so its encoding and length no longer describe what we send.
    if (!NOT_FORWARDED.has(name) && name !== "content-encoding") headers.append(name, value);
  });
  // forEach joins repeated headers with ", ", which would merge cookies into one unreadable header.
  headers.delete("set-cookie");
  for (const cookie of upstream.headers.getSetCookie()) headers.append("set-cookie", cookie);
  return headers;
}

/** Shaped as a tRPC error, so the console shows the reason like any other API error. */
function unreachable(error: unknown): Response {
  const reason =
    error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : "";
  const message = `the control plane at ${CONTROL_PLANE_URL} did not answer (${reason}); is loom-cp running, and is LOOM_CP_URL right?`;
  return Response.json(
    { error: { message, code: -32603, data: { code: "BAD_GATEWAY", httpStatus: 502 } } },
    { status: 502 },
  );
}

async function forward(request: Request): Promise<Response> {
  const { pathname, search } = new URL(request.url);
  const hasBody = request.method !== "GET" && request.method !== "HEAD";
  let upstream: Response;
  try {
    upstream = await fetch(new URL(pathname + search, CONTROL_PLANE_URL), {
      method: request.method,
      headers: forwardedRequestHeaders(request),
      body: hasBody ? request.body : undefined,
      // Node's fetch streams a request body only in half-duplex mode.
      ...(hasBody && { duplex: "half" }),
      redirect: "manual",
      cache: "no-store",
      // The browser closing a subscription closes it at the control plane too.
      signal: request.signal,
    });
  } catch (error) {
    return unreachable(error);
  }
  return new Response(upstream.body, {
    status: upstream.status,
    statusText: upstream.statusText,
    headers: forwardedResponseHeaders(upstream),
  });
}

export { forward as GET, forward as POST };
