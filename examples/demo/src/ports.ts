import { createServer } from "node:net";

/** A port on 127.0.0.1 that was free a moment ago, for a process that cannot report the port it bound. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address !== null
          ? resolve(address.port)
          : reject(new Error("no port")),
      );
    });
  });
}

/**
 * A free port when `wanted` is 0; otherwise `wanted`, once it is known to be free on every interface (the
 * gateway binds them all), so a busy port fails the start at once with the flag that changes it.
 */
export async function claimPort(wanted: number, flag: string): Promise<number> {
  if (wanted === 0) return freePort();
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(new Error(`port ${wanted} is not free (${error.code}): pass --${flag} N, or --free-ports`)),
    );
    server.listen(wanted, "0.0.0.0", () => server.close(() => resolve()));
  });
  return wanted;
}
