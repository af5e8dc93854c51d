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

/** `wanted`, or a free port when it is 0. */
export async function portOrFree(wanted: number): Promise<number> {
  return wanted === 0 ? freePort() : wanted;
}
