import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import net from "node:net";
import tls from "node:tls";

/** A client certificate and key as files, which openssl and curl read. */
export interface ClientFiles {
  certFile: string;
  keyFile: string;
}

/** What one attempt got back: the HTTP status line if any answer came, else undefined. */
export interface Attempt {
  statusLine: string | undefined;
}

const REQUEST = (path: string) => `GET ${path} HTTP/1.1\r\nHost: mesh\r\nConnection: close\r\n\r\n`;
const TIMEOUT_MS = 10_000;

function firstStatusLine(text: string): string | undefined {
  return /HTTP\/1\.1 \d{3}[^\r\n]*/.exec(text)?.[0];
}

/** Everything the server sends on one connection until it closes (or the timeout passes). */
function collect(socket: net.Socket, onOpen: string, path: string): Promise<Attempt> {
  return new Promise((resolve) => {
    let text = "";
    socket.setTimeout(TIMEOUT_MS, () => socket.destroy());
    socket.on(onOpen, () => socket.write(REQUEST(path)));
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString("latin1");
    });
    socket.on("error", () => {});
    socket.on("close", () => resolve({ statusLine: firstStatusLine(text) }));
  });
}

export function plaintextNode(port: number, path: string): Promise<Attempt> {
  return collect(net.connect(port, "127.0.0.1"), "connect", path);
}

/**
 * Node's TLS client. It trusts the mesh root for the server, so a control attempt also proves the proxy
 * presented a mesh certificate; the SPIFFE name is not a host name, hence no host check.
 */
export async function tlsNode(
  port: number,
  path: string,
  caPem: string,
  client: ClientFiles | undefined,
): Promise<Attempt> {
  const [cert, key] = client
    ? await Promise.all([readFile(client.certFile), readFile(client.keyFile)])
    : [undefined, undefined];
  const socket = tls.connect({
    host: "127.0.0.1",
    port,
    ca: caPem,
    cert,
    key,
    checkServerIdentity: () => undefined,
  });
  return collect(socket, "secureConnect", path);
}

function runCommand(command: string, args: string[], input = ""): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    const child = execFile(command, args, { timeout: TIMEOUT_MS }, (error, stdout) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout }),
    );
    // A refused client can exit before reading its stdin; EPIPE then is expected.
    child.stdin?.on("error", () => {});
    child.stdin?.end(input);
  });
}

export async function opensslClient(
  port: number,
  path: string,
  caFile: string,
  client: ClientFiles | undefined,
): Promise<Attempt> {
  const certArgs = client ? ["-cert", client.certFile, "-key", client.keyFile] : [];
  const { stdout } = await runCommand(
    "openssl",
    ["s_client", "-connect", `127.0.0.1:${port}`, "-quiet", "-CAfile", caFile, ...certArgs],
    REQUEST(path),
  );
  return { statusLine: firstStatusLine(stdout) };
}

/** curl with --cacert (the mesh root) but -k: a SPIFFE certificate names no host curl could check. */
export async function curlClient(
  url: string,
  caFile: string,
  client: ClientFiles | undefined,
): Promise<Attempt> {
  const certArgs = client ? ["--cert", client.certFile, "--key", client.keyFile] : [];
  const { stdout } = await runCommand("curl", [
    "-sk",
    "--cacert",
    caFile,
    "--max-time",
    "10",
    "-o",
    "/dev/null",
    "-w",
    "%{http_code}",
    ...certArgs,
    url,
  ]);
  return { statusLine: stdout === "000" || stdout === "" ? undefined : `HTTP ${stdout}` };
}

/** With CI=true a missing tool fails the suite; elsewhere too, since refusals by a missing tool would be fake. */
export async function requireTool(command: string, args: string[]): Promise<void> {
  const { code } = await runCommand(command, args);
  if (code !== 0) throw new Error(`${command} is needed by this suite: apt-get install -y ${command}`);
}
