/**
 * Tells the service who called the gateway and how, in the de-facto headers apps and frameworks read:
 * X-Forwarded-For gets the client's address appended (keeping what earlier proxies wrote),
 * X-Forwarded-Proto is set to the public listener's scheme. Edits Node's flat rawHeaders in place,
 * which is what the outbound handler forwards.
 */
export function addForwardedHeaders(
  rawHeaders: string[],
  clientAddress: string | undefined,
  scheme: "http" | "https",
): void {
  for (let i = rawHeaders.length - 2; i >= 0; i -= 2) {
    if ((rawHeaders[i] as string).toLowerCase() === "x-forwarded-proto") rawHeaders.splice(i, 2);
  }
  rawHeaders.push("X-Forwarded-Proto", scheme);
  if (clientAddress === undefined) return;
  let lastForwardedFor = -1;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if ((rawHeaders[i] as string).toLowerCase() === "x-forwarded-for") lastForwardedFor = i;
  }
  if (lastForwardedFor === -1) rawHeaders.push("X-Forwarded-For", clientAddress);
  else rawHeaders[lastForwardedFor + 1] = `${rawHeaders[lastForwardedFor + 1]}, ${clientAddress}`;
}
