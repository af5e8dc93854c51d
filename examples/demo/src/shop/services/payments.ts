import { HttpError, type HttpService, json } from "../app-kit.ts";

/** The slowest service: a card charge takes a while, and some fail (raise its errorRate to see it). */
export function payments(): HttpService {
  let charges = 0;
  return {
    protocol: "http",
    async handle(request) {
      if (request.method !== "POST" || request.path !== "/charges")
        throw new HttpError(404, `no route ${request.method} ${request.path}`);
      const { amountCents } = request.body as { amountCents: number };
      charges += 1;
      return json({ chargeId: `ch_${charges}`, amountCents, status: "captured" }, 201);
    },
  };
}
