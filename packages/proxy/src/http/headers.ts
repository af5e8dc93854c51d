/**
 * A copy of Node's flat rawHeaders without hop-by-hop headers (RFC 9110 §7.6.1) and without traceparent,
 * which each hop writes anew. Checks lengths first so most names are never lowercased.
 */
export function endToEndHeaders(raw: readonly string[]): string[] {
  const result: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (!isHopByHop(name)) result.push(name, raw[i + 1] as string);
  }
  return result;
}

function isHopByHop(name: string): boolean {
  switch (name.length) {
    case 2:
      return name.toLowerCase() === "te";
    case 7: {
      const lower = name.toLowerCase();
      return lower === "upgrade" || lower === "trailer";
    }
    case 10: {
      const lower = name.toLowerCase();
      return lower === "connection" || lower === "keep-alive";
    }
    case 11:
      return name.toLowerCase() === "traceparent";
    case 16:
      return name.toLowerCase() === "proxy-connection";
    default:
      return false;
  }
}
