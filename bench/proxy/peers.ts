import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { type ProcessHandle, startProcess } from "@loom/test-harness";
import { pinned, SERVER_CORE } from "./cores.ts";

/** A reply the size of a small API answer; served from memory so the app is never the bottleneck. */
const APP_BODY = "hello from the bench app\n";
/** Upstream keep-alive for every proxy, and clients' connections kept open for the whole run. */
const KEEPALIVE = "keepalive_requests 1000000; keepalive_timeout 75s;";

export interface Server {
  name: string;
  url: string;
  handle: ProcessHandle;
}

function nginxConfig(dir: string, port: number, location: string, upstream = ""): string {
  return `
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log stderr warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  ${KEEPALIVE}
  ${upstream}
  server {
    listen 127.0.0.1:${port} reuseport;
    location / { ${location} }
  }
}
`;
}

async function startNginx(
  name: string,
  dir: string,
  config: string,
  port: number,
  core = SERVER_CORE,
): Promise<Server> {
  await mkdir(dir, { recursive: true });
  const configFile = path.join(dir, "nginx.conf");
  await writeFile(configFile, config);
  const [command, args] = pinned(core, "nginx", ["-p", dir, "-e", "stderr", "-c", configFile]);
  const url = `http://127.0.0.1:${port}/`;
  return { name, url, handle: await startProcess({ name, command, args, ready: { url } }) };
}

/** The upstream app: one nginx worker answering from memory (faster than a node http server here). */
export function startApp(dir: string, port: number, core = SERVER_CORE): Promise<Server> {
  const own = path.join(dir, `app-${port}`);
  const location = `default_type text/plain; return 200 "${APP_BODY.replace("\n", "\\n")}";`;
  return startNginx("app", own, nginxConfig(own, port, location), port, core);
}

/** nginx as the one-hop peer: one worker, HTTP/1.1 keep-alive pool to the app. */
export function startNginxProxy(dir: string, port: number, appPort: number): Promise<Server> {
  const own = path.join(dir, "nginx-proxy");
  const upstream = `upstream app { server 127.0.0.1:${appPort}; keepalive 64; keepalive_requests 1000000; }`;
  const location = `proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection "";`;
  return startNginx("nginx", own, nginxConfig(own, port, location, upstream), port);
}

/** HAProxy as the one-hop peer: one thread, keep-alive on both sides, idle upstream connections reused. */
export async function startHaproxy(dir: string, port: number, appPort: number): Promise<Server> {
  const configFile = path.join(dir, "haproxy.cfg");
  await writeFile(
    configFile,
    `
global
  nbthread 1
  maxconn 4096
defaults
  mode http
  timeout connect 5s
  timeout client 75s
  timeout server 75s
  timeout http-keep-alive 75s
  option http-keep-alive
  http-reuse always
frontend bench
  bind 127.0.0.1:${port}
  default_backend app
backend app
  server app1 127.0.0.1:${appPort}
`,
  );
  const [command, args] = pinned(SERVER_CORE, "haproxy", ["-db", "-f", configFile]);
  const url = `http://127.0.0.1:${port}/`;
  return {
    name: "haproxy",
    url,
    handle: await startProcess({ name: "haproxy", command, args, ready: { url } }),
  };
}
