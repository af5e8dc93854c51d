import { z } from "zod";

/** An empty value is no filter: the console's form sends its cleared fields as they are. */
const optionalMatching = (pattern: RegExp, message: string) =>
  z.string().max(500).regex(pattern, message).or(z.literal("")).optional();

/**
 * The filters of a proxy's admin `GET /tap` (packages/proxy/src/tap/filter.ts) and of the control plane's
 * relay of it: every field given must match. `path` is a prefix, `status` a code (`503`) or a class (`5xx`),
 * `grpcStatus` a gRPC code (`14`), `classification` success or failure as success rates count them (gRPC
 * failures answered with HTTP 200 included), `method` ignores case, the others are exact.
 */
export const tapFilterSchema = z.object({
  method: z.string().max(500).optional(),
  path: z.string().max(500).optional(),
  status: optionalMatching(
    /^(?:[1-5][0-9]{2}|[1-5]xx)$/i,
    "status must be a code such as 503 or a class such as 5xx",
  ),
  grpcStatus: optionalMatching(/^\d{1,2}$/, "grpcStatus must be a gRPC status code such as 14"),
  classification: optionalMatching(/^(?:success|failure)$/, "classification must be success or failure"),
  source: z.string().max(500).optional(),
  destination: z.string().max(500).optional(),
  direction: optionalMatching(/^(?:inbound|outbound)$/, "direction must be inbound or outbound"),
});
export type TapFilterQuery = z.infer<typeof tapFilterSchema>;
export type TapFilterField = keyof TapFilterQuery;
export const TAP_FILTER_FIELDS = Object.keys(tapFilterSchema.shape) as TapFilterField[];
