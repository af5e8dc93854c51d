import { describe, expect, it } from "vitest";
import { z } from "zod";
import "../src/index.ts";

/** The message zod gives for `value` under `schema`, with Loom's error map installed by importing @loom/spec. */
function messageFor(schema: z.ZodType, value: unknown): string | undefined {
  return schema.safeParse(value).error?.issues[0]?.message;
}

describe("Loom's error map", () => {
  const cases: [schema: z.ZodType, value: unknown, message: string][] = [
    [z.number(), "ten", "expected a number, got a string"],
    [z.number(), Number.NaN, "expected a number, got NaN"],
    [z.string(), 1, "expected a string, got a number"],
    [z.boolean(), "yes", "expected true or false, got a string"],
    [z.array(z.string()), "a", "expected a list, got a string"],
    [z.object({}), [], "expected a mapping, got a list"],
    [z.string(), null, "expected a string, got null"],
    [z.string(), { a: 1 }, "expected a string, got a mapping"],
    [z.string(), undefined, "is required"],
    [z.number().int(), 1.5, "must be an integer"],
    [z.number().min(0), -1, "must not be negative"],
    [z.number().min(2), 1, "must be at least 2"],
    [z.number().positive(), 0, "must be greater than 0"],
    [z.number().max(5), 6, "must be at most 5"],
    [z.number().lt(5), 5, "must be less than 5"],
    [z.number().multipleOf(5), 7, "must be a multiple of 5"],
    [z.string().min(1), "", "must not be empty"],
    [z.string().min(3), "ab", "must be at least 3 characters long"],
    [z.string().max(2), "abc", "must be at most 2 characters long"],
    [z.array(z.number()).min(1), [], "must not be empty"],
    [z.array(z.number()).min(2), [1], "must have at least 2 items"],
    [z.array(z.number()).max(1), [1, 2], "must have at most 1 item"],
    [z.string().startsWith("/"), "a", 'must start with "/"'],
    [z.string().endsWith(".yaml"), "a", 'must end with ".yaml"'],
    [z.string().includes("BEGIN"), "a", 'must contain "BEGIN"'],
    [z.url(), "not a url", "must be a URL such as https://host:port"],
    [z.iso.datetime(), "yesterday", 'must be an ISO 8601 date-time such as "2026-01-31T12:00:00Z"'],
    [z.email(), "nobody", "must be a valid email"],
    [z.enum(["http", "tcp"]), "udp", 'must be one of "http", "tcp"'],
    [z.enum(["Allow", "Deny"]), "deny", 'must be one of "Allow", "Deny" (did you mean "Deny"?)'],
    [z.enum(["Allow", "Deny"]), undefined, 'is required; it must be one of "Allow", "Deny"'],
    [z.literal("Service"), "Mesh", 'must be "Service"'],
    [
      z.strictObject({ weight: z.number() }),
      { weight: 1, wieght: 2 },
      'unknown field "wieght" (did you mean "weight"?)',
    ],
    [z.strictObject({}), { a: 1, b: 2 }, 'unknown fields "a", "b"'],
    [z.union([z.string(), z.number()]), true, "does not match any of the allowed forms"],
    [z.string().refine(() => false), "x", "is invalid"],
  ];
  it.each(cases.map(([schema, value, message]) => ({ schema, value, message })))(
    "$message",
    ({ schema, value, message }) => {
      expect(messageFor(schema, value)).toBe(message);
    },
  );

  it("names the valid discriminators of a union, with a suggestion", () => {
    const shape = z.discriminatedUnion("kind", [
      z.object({ kind: z.literal("Service") }),
      z.object({ kind: z.literal("Mesh") }),
    ]);
    expect(messageFor(shape, { kind: "service" })).toBe(
      'must be one of "Service", "Mesh" (did you mean "Service"?)',
    );
    expect(messageFor(shape, {})).toBe('is required; it must be one of "Service", "Mesh"');
  });

  it("leaves messages a schema states itself alone", () => {
    expect(messageFor(z.number().min(1, "needs at least one request"), 0)).toBe("needs at least one request");
  });
});
