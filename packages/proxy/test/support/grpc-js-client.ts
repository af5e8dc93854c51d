import grpc from "@grpc/grpc-js";

export interface UnaryResult {
  /** The gRPC status code the client saw. */
  code: number;
  /** The status message (grpc-message). */
  details: string;
  value: unknown;
  /** The x-loom-attempts response header, when the proxy retried. */
  attempts: number;
}

export interface InventoryCounts {
  calls: number;
  byId: Record<string, number>;
}

const serialize = (value: unknown) => Buffer.from(JSON.stringify(value));
const deserialize = (bytes: Buffer): unknown => JSON.parse(bytes.toString());

/** A @grpc/grpc-js client of test/apps/grpc-js-app.mjs (JSON messages), no retries of its own. */
export class InventoryClient {
  private readonly client: grpc.Client;

  constructor(address: string) {
    this.client = new grpc.Client(address, grpc.credentials.createInsecure(), {
      "grpc.enable_retries": 0,
    });
  }

  call(method: "Reserve" | "Counts" | "Reset", message: unknown): Promise<UnaryResult> {
    return new Promise((resolve) => {
      let attempts = 1;
      const call = this.client.makeUnaryRequest(
        `/loom.test.Inventory/${method}`,
        serialize,
        deserialize,
        message,
        (error, value) =>
          resolve({ code: error?.code ?? grpc.status.OK, details: error?.details ?? "", value, attempts }),
      );
      call.on("metadata", (metadata) => {
        const header = metadata.get("x-loom-attempts")[0];
        if (header !== undefined) attempts = Number(header);
      });
    });
  }

  async counts(): Promise<InventoryCounts> {
    const result = await this.call("Counts", {});
    if (result.code !== grpc.status.OK) throw new Error(`Counts failed with gRPC status ${result.code}`);
    return result.value as InventoryCounts;
  }

  async reset(): Promise<void> {
    await this.call("Reset", {});
  }

  close(): void {
    this.client.close();
  }
}

/** Runs `count` calls, `concurrency` at a time; results in call order. */
export async function callMany<T>(
  count: number,
  concurrency: number,
  call: (index: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      results[index] = await call(index);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}
