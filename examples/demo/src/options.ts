import path from "node:path";
import { parseArgs } from "node:util";

export const USAGE = `npm run demo [-- options]: the Loom demo shop, its mesh, the control plane and the console

  --rps N             load through the gateway, requests per second (default 30)
  --sampling R        trace sampling rate of the Mesh, 0..1 (default 0.1)
  --no-console        skip the console (and its build)
  --build-console     rebuild the console even if a production build exists
  --fresh             delete the demo's state (store, CA, tokens, logs) before starting
  --data-dir DIR      the demo's state (default .data/demo)
  --console-port N    (default 3000)      --gateway-port N  (default 8080)
  --api-port N        (default 5681)      --dp-port N       (default 5678)
  --control-port N    the shop's behaviour/counters port (default 8081)
  --free-ports        any free port for each of the five above not given (0 does that for one)

Joining a control plane that runs elsewhere (docker/compose.yaml does) instead of starting one:
  --control-plane URL   its API, e.g. http://control-plane:5681 (needs the two below)
  --dataplane-url URL   its data-plane API, e.g. https://control-plane:5678
  --ca-file FILE        the root its data-plane certificate chains to (<its data dir>/ca/root.crt)
  --advertise HOST      where the control plane and peers reach this machine's proxies (default 127.0.0.1)

Environment: LOOM_ADMIN_PASSWORD (else one is generated and kept in the data dir), DATABASE_URL (else SQLite
in the data dir), LOOM_TEST_MODE=1 (short timers, for tests), LOOM_CONSOLE_DIST_DIR (the console build to serve
or make, default apps/console/.next; the e2e suite points it at its own build).`;

export interface DemoOptions {
  rps: number;
  samplingRate: number;
  console: boolean;
  buildConsole: boolean;
  fresh: boolean;
  dataDir: string;
  ports: { console: number; gateway: number; api: number; dataplane: number; control: number };
  /** Set when the demo joins a running control plane instead of starting its own. */
  controlPlane: { apiUrl: string; dataplaneUrl: string; caFile: string } | undefined;
  advertise: string;
}

const REPO_ROOT = path.resolve(import.meta.dirname, "../../..");

const DEFAULT_PORTS = {
  "console-port": 3000,
  "gateway-port": 8080,
  "api-port": 5681,
  "dp-port": 5678,
  "control-port": 8081,
} as const;

export function readOptions(argv: string[]): DemoOptions | "help" {
  const { values } = parseArgs({
    args: argv,
    options: {
      rps: { type: "string", default: "30" },
      sampling: { type: "string", default: "0.1" },
      "no-console": { type: "boolean", default: false },
      "build-console": { type: "boolean", default: false },
      fresh: { type: "boolean", default: false },
      "data-dir": { type: "string", default: path.join(REPO_ROOT, ".data/demo") },
      "console-port": { type: "string" },
      "gateway-port": { type: "string" },
      "api-port": { type: "string" },
      "dp-port": { type: "string" },
      "control-port": { type: "string" },
      "free-ports": { type: "boolean", default: false },
      "control-plane": { type: "string" },
      "dataplane-url": { type: "string" },
      "ca-file": { type: "string" },
      advertise: { type: "string", default: "127.0.0.1" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return "help";
  const number = (flag: string, text: string, valid: (value: number) => boolean) => {
    const value = Number(text);
    if (!valid(value)) throw new Error(`--${flag}: ${text} is out of range\n\n${USAGE}`);
    return value;
  };
  // A port given explicitly wins over --free-ports.
  const port = (flag: keyof typeof DEFAULT_PORTS) => {
    const text = values[flag];
    if (text === undefined) return values["free-ports"] ? 0 : DEFAULT_PORTS[flag];
    return number(flag, text, (value) => Number.isInteger(value) && value >= 0 && value < 65536);
  };
  const joined = [values["control-plane"], values["dataplane-url"], values["ca-file"]];
  if (joined.some((value) => value !== undefined) && !joined.every((value) => value !== undefined))
    throw new Error(`--control-plane, --dataplane-url and --ca-file go together\n\n${USAGE}`);
  const [apiUrl, dataplaneUrl, caFile] = joined;
  return {
    rps: number("rps", values.rps, (value) => value > 0 && value <= 1_000),
    samplingRate: number("sampling", values.sampling, (value) => value >= 0 && value <= 1),
    console: !values["no-console"],
    buildConsole: values["build-console"],
    fresh: values.fresh,
    dataDir: path.resolve(values["data-dir"]),
    ports: {
      console: port("console-port"),
      gateway: port("gateway-port"),
      api: port("api-port"),
      dataplane: port("dp-port"),
      control: port("control-port"),
    },
    controlPlane:
      apiUrl && dataplaneUrl && caFile ? { apiUrl, dataplaneUrl, caFile: path.resolve(caFile) } : undefined,
    advertise: values.advertise,
  };
}
