import net from "node:net";
import type { Duplex } from "node:stream";

/** What serves a listener's connections; it is asked to let go of idle ones while the proxy drains. */
export interface ConnectionHandler {
  serve(socket: Duplex): void;
  closeIdle(): void;
}

const DRAIN_POLL_MS = 50;

/** A bound port with its open connections, so the proxy can stop accepting and drain it. */
export class Listener {
  private readonly sockets = new Set<net.Socket>();

  constructor(
    readonly server: net.Server,
    private readonly handler: Pick<ConnectionHandler, "closeIdle">,
  ) {
    server.on("connection", (socket: net.Socket) => {
      this.sockets.add(socket);
      socket.once("close", () => this.sockets.delete(socket));
    });
  }

  listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      this.server.once("error", onError);
      this.server.listen({ port, host, backlog: 1024 }, () => {
        this.server.off("error", onError);
        resolve();
      });
    });
  }

  /** Stops accepting, lets in-flight exchanges finish, and destroys what is left after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<void> {
    this.server.close();
    const deadline = Date.now() + timeoutMs;
    while (this.sockets.size > 0 && Date.now() < deadline) {
      this.handler.closeIdle();
      await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
    }
    for (const socket of this.sockets) socket.destroy();
  }

  /** Closes at once (a port removed by a new snapshot): its exchanges already run on their own. */
  close(): void {
    this.server.close();
    this.handler.closeIdle();
  }
}

/** A net.Server that hands every connection to `handler`. */
export function plainListener(handler: ConnectionHandler): Listener {
  return new Listener(
    net.createServer({ noDelay: true }, (socket) => handler.serve(socket)),
    handler,
  );
}
