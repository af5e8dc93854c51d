export { loadBootstrap } from "./bootstrap.ts";
export { type ApplyResult, LoomProxy, type ProxyOptions } from "./proxy.ts";
export { FileTlsMaterial, type TlsMaterial } from "./tls-material.ts";
