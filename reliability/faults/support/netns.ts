import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);
const PREFIX = "loomfault-";

async function ip(...args: string[]): Promise<string> {
  return (await run("ip", args)).stdout;
}

/** Whether this machine lets us create network namespaces (root and iproute2), or why not. */
export function netnsSupport(): { ok: true } | { ok: false; reason: string } {
  const probe = `${PREFIX}${process.pid}-probe`;
  try {
    execFileSync("ip", ["netns", "add", probe], { stdio: "pipe" });
    execFileSync("ip", ["netns", "del", probe], { stdio: "pipe" });
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: `ip netns add failed: ${(error as Error).message.trim()}` };
  }
}

export interface Namespace {
  name: string;
  /** This namespace's address on the shared bridge. */
  address: string;
  /** Prefix for a command to run inside it. */
  exec: readonly string[];
}

export interface NamespaceNetwork {
  /** The root namespace's address on the bridge: where the control plane and the load generator sit. */
  hostAddress: string;
  namespaces: Namespace[];
  /**
   * Drops everything between `namespace` and the host (the control plane), both ways, and nothing else: a
   * one-way cut would still let the control plane's stream in (TCP delivers data whose ACKs are lost).
   */
  cutOffFromHost(namespace: Namespace): Promise<void>;
  heal(namespace: Namespace): Promise<void>;
  /** Deletes the namespaces, the bridge and the veth pairs; safe to call more than once. */
  destroy(): Promise<void>;
}

/**
 * Namespaces of our own on one bridge in the root namespace (a /24 in 10.0.0.0/8 nobody here uses), each with a
 * veth pair. Traffic between namespaces stays on the bridge: nothing is routed, no host setting changes.
 */
export async function createNamespaceNetwork(count: number): Promise<NamespaceNetwork> {
  await removeLeftovers();
  const id = (process.pid % 0xffff).toString(16).padStart(4, "0");
  const subnet = await unusedSubnet();
  const bridge = `lfbr${id}`;
  const hostAddress = `${subnet}.1`;
  const namespaces: Namespace[] = [];
  const hostLinks: string[] = [];
  let destroyed = false;

  const destroy = async () => {
    if (destroyed) return;
    destroyed = true;
    for (const namespace of namespaces)
      await ip("route", "del", "blackhole", `${namespace.address}/32`).catch(() => {});
    for (const link of [...hostLinks, bridge]) await ip("link", "del", link).catch(() => {});
    for (const namespace of namespaces) await ip("netns", "del", namespace.name).catch(() => {});
  };
  try {
    await ip("link", "add", bridge, "type", "bridge");
    hostLinks.push(bridge);
    await ip("addr", "add", `${hostAddress}/24`, "dev", bridge);
    await ip("link", "set", bridge, "up");
    for (let index = 0; index < count; index += 1) {
      const name = `${PREFIX}${process.pid}-${index}`;
      const hostSide = `lf${id}h${index}`;
      const nsSide = `lf${id}n${index}`;
      const address = `${subnet}.${10 + index}`;
      await ip("netns", "add", name);
      namespaces.push({ name, address, exec: ["ip", "netns", "exec", name] });
      await ip("link", "add", hostSide, "type", "veth", "peer", "name", nsSide);
      hostLinks.push(hostSide);
      await ip("link", "set", nsSide, "netns", name);
      await ip("link", "set", hostSide, "master", bridge);
      await ip("link", "set", hostSide, "up");
      await ip("-n", name, "addr", "add", `${address}/24`, "dev", nsSide);
      await ip("-n", name, "link", "set", nsSide, "up");
      await ip("-n", name, "link", "set", "lo", "up");
    }
  } catch (error) {
    await destroy();
    throw error;
  }
  return {
    hostAddress,
    namespaces,
    async cutOffFromHost(namespace) {
      await ip("-n", namespace.name, "route", "add", "blackhole", `${hostAddress}/32`);
      await ip("route", "add", "blackhole", `${namespace.address}/32`);
    },
    async heal(namespace) {
      await ip("route", "del", "blackhole", `${namespace.address}/32`);
      await ip("-n", namespace.name, "route", "del", "blackhole", `${hostAddress}/32`);
    },
    destroy,
  };
}

/** A /24 of 10.213.0.0/16 that no interface here has an address in. */
async function unusedSubnet(): Promise<string> {
  const used = await ip("-o", "-4", "addr");
  for (let third = 1 + (process.pid % 200); ; third = (third % 250) + 1) {
    const subnet = `10.213.${third}`;
    if (!used.includes(` ${subnet}.`)) return subnet;
  }
}

/**
 * What a killed earlier run left behind: namespaces whose creator (its pid is in the name) is gone, which takes
 * their veth pairs with them, then bridges of ours with no port left.
 */
async function removeLeftovers(): Promise<void> {
  const names = (await ip("netns", "list"))
    .split("\n")
    .map((line) => line.split(" ")[0] ?? "")
    .filter((name) => name.startsWith(PREFIX));
  for (const name of names) {
    const pid = Number(name.slice(PREFIX.length).split("-")[0]);
    if (Number.isInteger(pid) && pid > 0 && !isAlive(pid)) await ip("netns", "del", name).catch(() => {});
  }
  const bridges = [
    ...(await ip("-o", "link", "show", "type", "bridge")).matchAll(/^\d+: (lfbr[0-9a-f]{4})[:@]/gm),
  ];
  for (const [, bridge] of bridges) {
    if (bridge && (await ip("-o", "link", "show", "master", bridge)).trim() === "")
      await ip("link", "del", bridge).catch(() => {});
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
