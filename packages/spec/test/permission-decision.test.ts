import { describe, expect, it } from "vitest";
import { decidingPermissionRule, type PermissionRule, permissionDecision } from "../src/index.ts";

const rules: PermissionRule[] = [
  { targetRef: { kind: "Service", name: "web" }, action: "Deny", match: { methods: ["POST"], paths: [] } },
  { targetRef: { kind: "Service", name: "web" }, action: "Allow" },
  { targetRef: { kind: "Mesh" }, action: "Deny" },
];
const policy = { spec: { targetRef: { kind: "Service" as const, name: "cart" }, from: rules } };

describe("the permission decision shared by proxy, what-if and console", () => {
  it("lets the first rule naming the caller and matching the request decide", () => {
    expect(decidingPermissionRule(rules, "web", { method: "POST", path: "/" })).toBe(rules[0]);
    expect(decidingPermissionRule(rules, "web", { method: "GET", path: "/" })).toBe(rules[1]);
    expect(decidingPermissionRule(rules, "checkout", { method: "GET", path: "/" })).toBe(rules[2]);
  });

  it("without a request, the first rule naming the caller decides and says it is narrowed", () => {
    expect(permissionDecision(policy, "Allow", "web")).toEqual({
      action: "Deny",
      rule: rules[0],
      narrowed: true,
    });
    expect(permissionDecision(policy, "Allow", "checkout")).toEqual({
      action: "Deny",
      rule: rules[2],
      narrowed: false,
    });
  });

  it("an unknown caller matches only a mesh-wide rule; no policy leaves the mesh default", () => {
    const named = { spec: { ...policy.spec, from: [rules[1] as PermissionRule] } };
    expect(permissionDecision(named, "Deny", "unknown").action).toBe("Deny");
    expect(permissionDecision(undefined, "Allow", "web")).toEqual({
      action: "Allow",
      rule: undefined,
      narrowed: false,
    });
  });
});
