import { z } from "zod";
import { didYouMean } from "./suggest.ts";

type RawIssue = z.core.$ZodRawIssue;

/**
 * Short messages that read well after a field path ("spec.requests: expected a number, got a string").
 * Messages a schema states itself take precedence; this covers zod's built-in checks.
 */
export const loomErrorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case "invalid_type":
      return invalidTypeMessage(issue);
    case "too_small":
      return boundMessage(issue.origin, "at least", "greater than", issue.minimum, issue.inclusive);
    case "too_big":
      return boundMessage(issue.origin, "at most", "less than", issue.maximum, issue.inclusive);
    case "invalid_format":
      return formatMessage(issue);
    case "not_multiple_of":
      return `must be a multiple of ${issue.divisor}`;
    case "unrecognized_keys":
      return unknownFieldsMessage(issue.keys, knownFields(issue.inst));
    case "invalid_union":
      return unionMessage(issue);
    case "invalid_value":
      return oneOfMessage(issue.values, issue.input);
    case "invalid_key":
      return "has an invalid key";
    case "invalid_element":
      return "has an invalid value";
    case "custom":
      return "is invalid";
  }
};

// Every Loom process imports @loom/spec, so installing the map here gives every zod parse in Loom (tRPC inputs
// included, which call our schemas directly) the same messages. Per-schema messages still win over it.
z.config({ customError: loomErrorMap });

function invalidTypeMessage(issue: RawIssue & { expected: string }): string {
  if (issue.input === undefined) return "is required";
  if (issue.expected === "int") return "must be an integer";
  return `expected ${describeType(issue.expected)}, got ${describeValue(issue.input)}`;
}

function describeType(type: string): string {
  if (type === "array" || type === "tuple") return "a list";
  if (type === "object" || type === "record" || type === "map") return "a mapping";
  if (type === "boolean") return "true or false";
  if (type === "null" || type === "undefined" || type === "never") return "nothing";
  return `${/^[aeiou]/.test(type) ? "an" : "a"} ${type}`;
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "number" && Number.isNaN(value)) return "NaN";
  if (typeof value === "object") return "a mapping";
  return describeType(typeof value);
}

function boundMessage(
  origin: string,
  inclusiveWord: string,
  exclusiveWord: string,
  bound: number | bigint,
  inclusive: boolean | undefined,
): string {
  if (origin === "string") {
    if (bound === 1 && inclusiveWord === "at least") return "must not be empty";
    return `must be ${inclusiveWord} ${bound} characters long`;
  }
  if (origin === "array" || origin === "set") {
    if (bound === 1 && inclusiveWord === "at least") return "must not be empty";
    return `must have ${inclusiveWord} ${bound} ${bound === 1 ? "item" : "items"}`;
  }
  if (bound === 0 && inclusive && inclusiveWord === "at least") return "must not be negative";
  return `must be ${inclusive ? inclusiveWord : exclusiveWord} ${bound}`;
}

function formatMessage(issue: RawIssue & { format: string }): string {
  switch (issue.format) {
    case "starts_with":
      return `must start with "${issue.prefix}"`;
    case "ends_with":
      return `must end with "${issue.suffix}"`;
    case "includes":
      return `must contain "${issue.includes}"`;
    case "url":
      return "must be a URL such as https://host:port";
    case "datetime":
      return 'must be an ISO 8601 date-time such as "2026-01-31T12:00:00Z"';
    case "regex":
      return `must match ${issue.pattern}`;
    default:
      return `must be a valid ${issue.format}`;
  }
}

function knownFields(schema: unknown): string[] {
  if (!(schema instanceof z.ZodObject)) return [];
  return Object.keys(schema.shape);
}

function unknownFieldsMessage(keys: readonly string[], known: readonly string[]): string {
  const described = keys.map((key) => `"${key}"${didYouMean(key, known)}`);
  return `unknown ${keys.length === 1 ? "field" : "fields"} ${described.join(", ")}`;
}

function unionMessage(issue: RawIssue & { code: "invalid_union" }): string {
  const options = issue.options as readonly unknown[] | undefined;
  if (issue.discriminator !== undefined && options !== undefined) {
    const input = issue.input as Record<string, unknown> | undefined;
    return oneOfMessage(options, input?.[issue.discriminator]);
  }
  return "does not match any of the allowed forms";
}

function oneOfMessage(values: readonly unknown[], input: unknown): string {
  const quoted = values.map((value) => JSON.stringify(value));
  const expectation = quoted.length === 1 ? `must be ${quoted[0]}` : `must be one of ${quoted.join(", ")}`;
  if (input === undefined) return `is required; ${expectation.replace(/^must be/, "it must be")}`;
  const suggestion = typeof input === "string" ? didYouMean(input, values.map(String)) : "";
  return `${expectation}${suggestion}`;
}
