import fc from "fast-check";

/**
 * Request streams (latin1 text) built from the parts that decide HTTP/1.1 framing, each mostly well formed and
 * sometimes bent the ways smuggling write-ups bend them: line endings, whitespace around names and colons,
 * duplicate and malformed Content-Length, Transfer-Encoding lists, obs-fold, chunk sizes, extensions and
 * trailers, and a second request behind the first.
 */

const often = <T>(usual: fc.Arbitrary<T>, odd: fc.Arbitrary<T>, oddWeight = 1) =>
  fc.oneof({ arbitrary: usual, weight: 14 }, { arbitrary: odd, weight: oddWeight });

// Methods llhttp knows: it refuses extension methods the proxy (rightly, RFC 9110 §9.1) accepts as tokens.
const method = often(
  fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "QUERY"),
  fc.constantFrom("get", "G ET", "GET\t", "POST\x00", "", "P\x7fOST", "GET /", "POST\r"),
);

const target = often(
  fc.oneof(fc.constant("/"), fc.stringMatching(/^\/[a-zA-Z0-9/_.~%-]{0,16}(\?[a-z0-9=&]{0,8})?$/)),
  fc.constantFrom("/a b", "/\x7f", "/\xe9", "*", "http://x/y", "", "/a\tb", "/\x00", "//", "/#frag"),
);

const version = often(
  fc.constant("HTTP/1.1"),
  fc.constantFrom(
    "HTTP/1.0",
    "HTTP/2.0",
    "HTTP/1.2",
    "http/1.1",
    "HTTP/1.1 ",
    "HTTP/1.10",
    "HTTP/1",
    "HTTP/0.9",
  ),
);

const eol = often(fc.constant("\r\n"), fc.constantFrom("\n", "\r", "\r\r\n", "\n\r"));

const lengthValue = often(
  fc.nat({ max: 40 }).map(String),
  fc.constantFrom(
    "05",
    " 5",
    "5 ",
    "5,5",
    "5, 6",
    "-1",
    "+5",
    "5 5",
    "0x5",
    "",
    "1e1",
    "9999999999999999",
    "5\t",
  ),
  2,
);

const transferEncodingValue = often(
  fc.constant("chunked"),
  fc.constantFrom(
    "chunked, identity",
    "identity",
    "gzip, chunked",
    " chunked",
    "Chunked",
    "chunked\t",
    "xchunked",
    "",
    "chunked, chunked",
    ",chunked",
    "chunked,",
    "chunk",
    "gzip",
    '"chunked"',
  ),
  3,
);

const headerName = (canonical: string) =>
  often(
    fc.constant(canonical),
    fc.constantFrom(
      canonical.toLowerCase(),
      canonical.toUpperCase(),
      `${canonical} `,
      ` ${canonical}`,
      `${canonical}\t`,
      `X-${canonical}`,
    ),
  );

const colon = often(fc.constant(": "), fc.constantFrom(":", ":  ", ":\t", " : "));

const field = (name: fc.Arbitrary<string>, value: fc.Arbitrary<string>) =>
  fc.tuple(name, colon, value, eol).map((parts) => parts.join(""));

const plainValue = fc.stringMatching(/^[a-zA-Z0-9 ,;=._-]{0,12}$/);

const fieldLine = fc.oneof(
  { arbitrary: field(headerName("Content-Length"), lengthValue), weight: 4 },
  { arbitrary: field(headerName("Transfer-Encoding"), transferEncodingValue), weight: 4 },
  { arbitrary: field(headerName("Host"), fc.constantFrom("x", "example.com", "", "a b")), weight: 1 },
  {
    arbitrary: field(headerName("Connection"), fc.constantFrom("keep-alive", "close", "x, close")),
    weight: 1,
  },
  { arbitrary: field(fc.stringMatching(/^X-[A-Za-z0-9-]{1,8}$/), plainValue), weight: 3 },
  {
    // obs-fold: a continuation line that some parsers join to the line above.
    arbitrary: fc
      .tuple(
        field(headerName("Transfer-Encoding"), transferEncodingValue),
        fc.constantFrom(" chunked\r\n", "\tx\r\n"),
      )
      .map((parts) => parts.join("")),
    weight: 1,
  },
  {
    arbitrary: fc.constantFrom(
      "NoColon\r\n",
      ": empty-name\r\n",
      "Bad Name: 1\r\n",
      "X\x00: 1\r\n",
      "X-V: a\x00b\r\n",
      "X-V: \x7f\r\n",
      "X-V: caf\xe9\r\n",
      "X-V: a\rb\r\n",
    ),
    weight: 1,
  },
);

const chunkSize = (size: number) =>
  often(
    fc.constant(size.toString(16)),
    fc.constantFrom(
      size.toString(16).toUpperCase(),
      `00${size.toString(16)}`,
      `0x${size.toString(16)}`,
      `${size.toString(16)};ext=1`,
      `${size.toString(16)} ;ext`,
      `${size.toString(16)}\t`,
      `${size.toString(16)} `,
      `${size.toString(16)};a="b;c"`,
      `${size.toString(16)};a="\r\n"`,
      (size + 1).toString(16),
      size > 0 ? (size - 1).toString(16) : "1",
      `-${size.toString(16)}`,
      ` ${size.toString(16)}`,
      "fffffffffffffffff",
    ),
    2,
  );

const chunk = fc
  .stringMatching(/^[a-z0-9\r\n]{0,12}$/)
  .chain((data) =>
    fc.tuple(chunkSize(data.length), eol, fc.constant(data), eol).map((parts) => parts.join("")),
  );

const lastChunk = fc
  .tuple(
    chunkSize(0),
    eol,
    fc.array(
      fc.constantFrom(
        "X-Trailer: 1\r\n",
        " folded\r\n",
        "Content-Length: 5\r\n",
        "bad trailer\r\n",
        "X-T: 1\n",
      ),
      { maxLength: 2 },
    ),
    fc.oneof(
      { arbitrary: fc.constant("\r\n"), weight: 6 },
      { arbitrary: fc.constantFrom("", "\n", "\r"), weight: 1 },
    ),
  )
  .map(([size, end, trailers, final]) => `${size}${end}${trailers.join("")}${final}`);

const chunkedBody = fc
  .tuple(fc.array(chunk, { maxLength: 3 }), lastChunk)
  .map(([chunks, last]) => chunks.join("") + last);

const body = fc.oneof(
  { arbitrary: fc.constant(""), weight: 2 },
  { arbitrary: fc.stringMatching(/^[a-z0-9]{0,40}$/), weight: 3 },
  { arbitrary: chunkedBody, weight: 5 },
);

/** A second request behind the first: what a smuggler hopes the next hop reads as a request of its own. */
const next = fc.constantFrom(
  "",
  "",
  "GET /second HTTP/1.1\r\nHost: x\r\n\r\n",
  "GET /smuggled HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
  "\r\nGET /second HTTP/1.1\r\nHost: x\r\n\r\n",
  "POST /second HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
);

const leading = often(fc.constant(""), fc.constantFrom("\r\n", "\r\n\r\n\r\n\r\n\r\n", "\n", " "));

export const requestStream: fc.Arbitrary<string> = fc
  .record({
    leading,
    method,
    space: often(fc.constant(" "), fc.constantFrom("  ", "\t", "")),
    target,
    version,
    lineEnd: eol,
    host: fc.oneof(
      { arbitrary: fc.constant("Host: x\r\n"), weight: 9 },
      { arbitrary: fc.constant(""), weight: 1 },
    ),
    fields: fc.array(fieldLine, { maxLength: 6 }),
    headEnd: eol,
    body,
    next,
  })
  .map(
    (parts) =>
      `${parts.leading}${parts.method}${parts.space}${parts.target} ${parts.version}${parts.lineEnd}${parts.host}${parts.fields.join("")}${parts.headEnd}${parts.body}${parts.next}`,
  );
