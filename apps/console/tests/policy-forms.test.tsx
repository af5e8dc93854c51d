import { checkResource, type PolicyKind } from "@loom/spec";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, test, vi } from "vitest";
import { parse } from "yaml";
import { POLICY_FORMS } from "@/features/policies/forms";
import { newPolicyYaml } from "@/features/policies/new-policy-yaml";
import { ApplyYamlPanel } from "@/features/resources/apply-yaml-panel";
import { renderWithApi } from "./fake-api";

const service = (name: string) => ({
  kind: "Service",
  metadata: { name, mesh: "default", namespace: "default", labels: {} },
  spec: { ports: [{ port: 8080, protocol: "http" }] },
});
const SERVICES = [service("cart"), service("web")];

/** A new policy of `kind` for cart, in the form view of the same panel the YAML path uses. */
async function openForm(kind: PolicyKind) {
  const api = renderWithApi({
    "services.list": () => SERVICES,
    "resources.list": () => SERVICES,
    "whatIf.run": () => ({ windowMs: 900_000, dataplanes: { total: 2, changed: [] }, traffic: [] }),
    "policies.applyYaml": () => ({ results: [] }),
  });
  const onApplied = vi.fn();
  render(
    <ApplyYamlPanel
      initialText={newPolicyYaml(kind, "cart")}
      onApplied={onApplied}
      form={POLICY_FORMS[kind]}
    />,
    {
      wrapper: api.wrapper,
    },
  );
  await userEvent.click(screen.getByRole("tab", { name: "Form" }));
  const form = screen.getByRole("form", { name: "Policy form" });
  const messages = () =>
    within(screen.getByRole("list", { name: "Validation" }))
      .getAllByRole("listitem")
      .map((item) => item.textContent);
  /** The message shown under one field, as the spec words it. */
  const fieldMessage = (label: string, scope: HTMLElement = form) => {
    const input = within(scope).getByLabelText(label);
    const id = input.getAttribute("aria-describedby");
    return id ? document.getElementById(id)?.textContent : undefined;
  };
  const fill = async (label: string, text: string, scope: HTMLElement = form) => {
    const input = within(scope).getByLabelText(label);
    await userEvent.clear(input);
    if (text !== "") await userEvent.type(input, text);
    await userEvent.tab();
  };
  /** Applies, and returns the resource the applied text holds, as the control plane would store it. */
  const applied = async () => {
    await waitFor(() => expect(messages()).toEqual(["Valid: 1 resource(s)."]));
    await userEvent.click(screen.getByRole("button", { name: "Apply" }));
    await waitFor(() => expect(api.calls.some((call) => call.path === "policies.applyYaml")).toBe(true));
    const input = api.calls.find((call) => call.path === "policies.applyYaml")?.input as { text: string };
    return checkResource(parse(input.text)).resource;
  };
  const click = (name: string) => userEvent.click(within(form).getByRole("button", { name }));
  const tick = (label: string) => userEvent.click(within(form).getByLabelText(label));
  const group = (name: string) => within(form).getByRole("group", { name });
  return { form, messages, fieldMessage, fill, applied, click, tick, group };
}

describe("policy forms", () => {
  test("every policy kind has a form", () => {
    expect(Object.keys(POLICY_FORMS).sort()).toEqual([
      "CircuitBreaker",
      "FaultInjection",
      "HealthCheck",
      "RateLimit",
      "Retry",
      "Rollout",
      "Timeout",
      "TrafficPermission",
      "TrafficRoute",
    ]);
  });

  describe("Timeout", () => {
    test("shows the spec's message at the field and in the list", async () => {
      const { fill, fieldMessage, messages } = await openForm("Timeout");
      await fill("Whole request", "soon");
      await waitFor(() =>
        expect(messages()).toEqual([
          'Timeout "cart-timeout" (line 9) spec.request: must be a duration such as "250ms", "10s", "5m" or "1h"',
        ]),
      );
      expect(fieldMessage("Whole request")).toBe('must be a duration such as "250ms", "10s", "5m" or "1h"');
      expect(screen.getByRole("button", { name: "Apply" })).toHaveProperty("disabled", true);
    });

    test("a valid form yields the resource", async () => {
      const { fill, applied } = await openForm("Timeout");
      await fill("Whole request", "3s");
      await fill("Connect", "1s");
      expect((await applied())?.spec).toEqual({
        targetRef: { kind: "Service", name: "cart" },
        request: "3s",
        connect: "1s",
        idle: "1h",
      });
    });
  });

  describe("Retry", () => {
    test("shows the spec's message at the field and in the list", async () => {
      const { fill, fieldMessage, messages } = await openForm("Retry");
      await fill("Attempts (first try included)", "11");
      await waitFor(() =>
        expect(messages()).toEqual(['Retry "cart-retry" (line 9) spec.attempts: must be at most 10']),
      );
      expect(fieldMessage("Attempts (first try included)")).toBe("must be at most 10");
    });

    test("a valid form yields the resource", async () => {
      const { fill, tick, applied } = await openForm("Retry");
      await fill("Attempts (first try included)", "4");
      await tick("5xx");
      await fill("Per-try timeout", "500ms");
      const retry = await applied();
      expect(retry?.spec).toMatchObject({ attempts: 4, retryOn: ["5xx"], perTryTimeout: "500ms" });
    });
  });

  describe("RateLimit", () => {
    test("shows the spec's message at the field and in the list", async () => {
      const { fill, fieldMessage, messages } = await openForm("RateLimit");
      await waitFor(() =>
        expect(messages()).toEqual(['RateLimit "cart-ratelimit" (line 5) spec.requests: is required']),
      );
      expect(fieldMessage("Requests")).toBe("is required");
      await fill("Requests", "0");
      await waitFor(() =>
        expect(messages()).toEqual(['RateLimit "cart-ratelimit" (line 9) spec.requests: must be at least 1']),
      );
      expect(fieldMessage("Requests")).toBe("must be at least 1");
    });

    test("a valid form yields the resource", async () => {
      const { fill, click, group, applied } = await openForm("RateLimit");
      await fill("Requests", "100");
      await fill("Burst", "20");
      await click("Add caller");
      await fill("Service", "web", group("Caller 1"));
      expect((await applied())?.spec).toEqual({
        targetRef: { kind: "Service", name: "cart" },
        requests: 100,
        interval: "1s",
        burst: 20,
        onRateLimit: { status: 429 },
        from: [{ targetRef: { kind: "Service", name: "web" } }],
      });
    });
  });

  describe("CircuitBreaker", () => {
    test("shows the spec's message at the field and in the list", async () => {
      const { fill, tick, fieldMessage, messages } = await openForm("CircuitBreaker");
      await fill("Max connections", "0");
      await tick("Outlier detection");
      await fill("Max ejection (%)", "150");
      await waitFor(() =>
        expect(messages()).toEqual([
          'CircuitBreaker "cart-circuitbreaker" (line 9) spec.maxConnections: must be at least 1',
          'CircuitBreaker "cart-circuitbreaker" (line 11) spec.outlierDetection.maxEjectionPercent: must be between 0 and 100',
        ]),
      );
      expect(fieldMessage("Max connections")).toBe("must be at least 1");
      expect(fieldMessage("Max ejection (%)")).toBe("must be between 0 and 100");
    });

    test("a valid form yields the resource", async () => {
      const { fill, tick, applied } = await openForm("CircuitBreaker");
      await fill("Max requests", "64");
      await tick("Outlier detection");
      await fill("Consecutive 5xx", "2");
      expect((await applied())?.spec).toEqual({
        targetRef: { kind: "Service", name: "cart" },
        maxConnections: 1024,
        maxPendingRequests: 1024,
        maxRequests: 64,
        outlierDetection: {
          consecutive5xx: 2,
          consecutiveGatewayErrors: 3,
          interval: "10s",
          baseEjectionTime: "30s",
          maxEjectionPercent: 50,
        },
      });
    });
  });

  describe("FaultInjection", () => {
    test("shows the spec's message at the field and in the list", async () => {
      const { tick, fill, fieldMessage, messages } = await openForm("FaultInjection");
      await waitFor(() =>
        expect(messages()).toEqual([
          'FaultInjection "cart-faultinjection" (line 5) spec: needs a delay, an abort or both',
        ]),
      );
      await tick("Abort");
      await fill("With status", "99");
      await waitFor(() =>
        expect(messages()).toEqual([
          'FaultInjection "cart-faultinjection" (line 9) spec.abort.percentage: is required',
          'FaultInjection "cart-faultinjection" (line 10) spec.abort.httpStatus: must be an HTTP status (200-599)',
        ]),
      );
      expect(fieldMessage("With status")).toBe("must be an HTTP status (200-599)");
    });

    test("a valid form yields the resource", async () => {
      const { tick, fill, applied } = await openForm("FaultInjection");
      await tick("Delay");
      await fill("Delayed requests (%)", "10");
      await fill("Delay by", "200ms");
      expect((await applied())?.spec).toEqual({
        targetRef: { kind: "Service", name: "cart" },
        delay: { percentage: 10, value: "200ms" },
      });
    });
  });

  describe("HealthCheck", () => {
    test("shows the spec's message at the field and in the list", async () => {
      const { fill, fieldMessage, messages } = await openForm("HealthCheck");
      await fill("HTTP path", "health");
      await waitFor(() =>
        expect(messages()).toEqual([
          'HealthCheck "cart-healthcheck" (line 9) spec.path: must start with "/"',
        ]),
      );
      expect(fieldMessage("HTTP path")).toBe('must start with "/"');
    });

    test("a valid form yields the resource", async () => {
      const { fill, applied } = await openForm("HealthCheck");
      await fill("HTTP path", "/health");
      await fill("Interval", "5s");
      expect((await applied())?.spec).toEqual({
        targetRef: { kind: "Service", name: "cart" },
        interval: "5s",
        timeout: "2s",
        unhealthyThreshold: 3,
        healthyThreshold: 1,
        path: "/health",
      });
    });
  });

  describe("TrafficPermission", () => {
    test("shows the spec's message at the field and in the list", async () => {
      const { click, group, fill, fieldMessage, messages } = await openForm("TrafficPermission");
      await waitFor(() =>
        expect(messages()).toEqual([
          'TrafficPermission "cart-trafficpermission" (line 5) spec.from: is required',
        ]),
      );
      await click("Add rule");
      await fill("Service", "Web", group("Rule 1"));
      await waitFor(() =>
        expect(messages()).toEqual([
          `TrafficPermission "cart-trafficpermission" (line 12) spec.from[0].targetRef.name: must be lowercase letters, digits and '-', starting and ending with a letter or digit`,
        ]),
      );
      expect(fieldMessage("Service", group("Rule 1"))).toBe(
        "must be lowercase letters, digits and '-', starting and ending with a letter or digit",
      );
    });

    test("a valid form yields the resource", async () => {
      const { click, group, fill, applied } = await openForm("TrafficPermission");
      await click("Add rule");
      const rule = group("Rule 1");
      await fill("Service", "web", rule);
      await userEvent.selectOptions(within(rule).getByLabelText("Action"), "Deny");
      await userEvent.click(within(rule).getByLabelText("POST"));
      await fill("Only these path prefixes (comma-separated)", "/admin, /orders", rule);
      expect((await applied())?.spec).toEqual({
        targetRef: { kind: "Service", name: "cart" },
        from: [
          {
            targetRef: { kind: "Service", name: "web" },
            action: "Deny",
            match: { methods: ["POST"], paths: ["/admin", "/orders"] },
          },
        ],
      });
    });
  });

  describe("TrafficRoute", () => {
    test("shows the spec's message at the field and in the list", async () => {
      const { click, group, fill, messages } = await openForm("TrafficRoute");
      await waitFor(() =>
        expect(messages()).toEqual(['TrafficRoute "cart-trafficroute" (line 5) spec.rules: is required']),
      );
      await click("Add rule");
      await fill("Weight", "0", group("Backend 1"));
      await waitFor(() =>
        expect(messages()).toEqual([
          'TrafficRoute "cart-trafficroute" (line 10) spec.rules[0].backendRefs: at least one backend needs a weight above 0',
        ]),
      );
    });

    test("a header match without a name is shown at the field", async () => {
      const { click, fieldMessage, messages } = await openForm("TrafficRoute");
      await click("Add rule");
      await click("Add match");
      await click("Add header");
      await waitFor(() =>
        expect(messages()).toEqual([
          'TrafficRoute "cart-trafficroute" (line 20) spec.rules[0].matches[0].headers[0].name: must not be empty',
        ]),
      );
      expect(fieldMessage("Header name")).toBe("must not be empty");
    });

    test("a valid form yields the resource", async () => {
      const { click, group, fill, applied } = await openForm("TrafficRoute");
      await click("Add rule");
      await click("Add backend");
      await fill("Weight", "90", group("Backend 1"));
      await fill("Tags", "version=v2", group("Backend 2"));
      await fill("Weight", "10", group("Backend 2"));
      await click("Add match");
      await fill("Path", "/api", group("Match 1"));
      await click("Add header");
      await fill("Header name", "x-canary", group("Header 1"));
      await fill("Header value", "yes", group("Header 1"));
      const route = await applied();
      expect(route?.spec).toMatchObject({
        targetRef: { kind: "Service", name: "cart" },
        rules: [
          {
            matches: [
              {
                path: { type: "PathPrefix", value: "/api" },
                headers: [{ type: "Exact", name: "x-canary", value: "yes" }],
              },
            ],
            backendRefs: [
              { tags: { version: "v1" }, weight: 90 },
              { tags: { version: "v2" }, weight: 10 },
            ],
          },
        ],
      });
    });
    test("filters: a request header set and removed, and a mirror, in order", async () => {
      const { click, group, fill, applied } = await openForm("TrafficRoute");
      await click("Add rule");
      await click("Add filter");
      await userEvent.click(within(group("Filter 1")).getByRole("button", { name: "Add set header" }));
      await fill("Header name", "x-route", group("Set header 1"));
      await fill("Header value", "canary", group("Set header 1"));
      await fill("Remove (header names)", "x-debug, cookie", group("Filter 1"));
      await click("Add filter");
      await userEvent.selectOptions(within(group("Filter 2")).getByLabelText("Filter"), "RequestMirror");
      await fill("Mirror tags", "version=v2", group("Filter 2"));
      await fill("Mirrored (%)", "25", group("Filter 2"));
      const route = await applied();
      expect(route?.spec).toMatchObject({
        rules: [
          {
            filters: [
              {
                type: "RequestHeaderModifier",
                requestHeaderModifier: {
                  set: [{ name: "x-route", value: "canary" }],
                  add: [],
                  remove: ["x-debug", "cookie"],
                },
              },
              {
                type: "RequestMirror",
                requestMirror: { backendRef: { tags: { version: "v2" } }, percent: 25 },
              },
            ],
          },
        ],
      });
    });
  });

  describe("Rollout", () => {
    test("shows the spec's message at the field and in the list", async () => {
      const { click, fill, fieldMessage, messages } = await openForm("Rollout");
      await fill("Stable tags", "version=v1");
      await fill("Canary tags", "version=v1");
      await click("Add step");
      await waitFor(() =>
        expect(messages()).toEqual([
          'Rollout "cart-rollout" (line 13) spec.canary.tags: must differ from stable.tags',
        ]),
      );
      expect(fieldMessage("Canary tags")).toBe("must differ from stable.tags");
    });

    test("a valid form yields the resource", async () => {
      const { click, group, fill, tick, applied } = await openForm("Rollout");
      await fill("Stable tags", "version=v1");
      await fill("Canary tags", "version=v2");
      await click("Add step");
      await click("Add step");
      await fill("Canary weight (%)", "50", group("Step 2"));
      await fill("Hold", "30s", group("Step 2"));
      await tick("Promote automatically");
      expect((await applied())?.spec).toEqual({
        targetRef: { kind: "Service", name: "cart" },
        stable: { tags: { version: "v1" } },
        canary: { tags: { version: "v2" } },
        steps: [
          { canaryWeight: 10, hold: "1m" },
          { canaryWeight: 50, hold: "30s" },
        ],
        gates: { maxSuccessRateDrop: 1, maxP99Ratio: 1.5, minRequests: 20 },
        autoPromote: false,
        autoRollback: true,
      });
    });
  });

  test("the form and the YAML edit the same draft", async () => {
    const { fill } = await openForm("Timeout");
    await fill("Whole request", "7s");
    await userEvent.click(screen.getByRole("tab", { name: "YAML" }));
    const yaml = screen.getByLabelText("Policy YAML") as HTMLTextAreaElement;
    expect(yaml.value).toContain("request: 7s");
    await userEvent.type(yaml, "  idle: 2m");
    await userEvent.click(screen.getByRole("tab", { name: "Form" }));
    expect((screen.getByLabelText("Idle connection") as HTMLInputElement).value).toBe("2m");
  });
});
