import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, test, vi } from "vitest";
import { ApplyYamlPanel } from "@/features/resources/apply-yaml-panel";
import { apiError, renderWithApi } from "./fake-api";

const CART = {
  kind: "Service",
  metadata: { name: "cart", mesh: "default", namespace: "default", labels: {} },
  spec: { ports: [{ port: 8080, protocol: "http" }] },
};

const VALID = `kind: Timeout
metadata:
  name: cart-timeout
spec:
  targetRef:
    kind: Service
    name: cart
  request: 3s
`;

function setUp(overrides: Record<string, (input: unknown) => unknown> = {}) {
  const onApplied = vi.fn();
  const api = renderWithApi({
    "services.list": () => [CART],
    "resources.list": () => [CART],
    "whatIf.run": () => ({
      windowMs: 900_000,
      dataplanes: { total: 3, changed: [{ name: "web-v1", namespace: "default", service: "web", tags: {} }] },
      traffic: [],
    }),
    "policies.applyYaml": () => ({
      results: [
        {
          kind: "Timeout",
          mesh: "default",
          namespace: "default",
          name: "cart-timeout",
          outcome: "created",
          resourceVersion: "1",
        },
      ],
    }),
    ...overrides,
  });
  render(<ApplyYamlPanel initialText="" onApplied={onApplied} />, { wrapper: api.wrapper });
  const editor = screen.getByLabelText("Policy YAML");
  const messages = () =>
    within(screen.getByRole("list", { name: "Validation" }))
      .getAllByRole("listitem")
      .map((item) => item.textContent);
  const type = async (text: string) => {
    await userEvent.clear(editor);
    // user-event reads { and [ as key descriptors; YAML here has neither.
    await userEvent.type(editor, text);
  };
  return { ...api, onApplied, editor, messages, type };
}

describe("the YAML editor", () => {
  test("shows the spec package's message for each problem, with its line, as one types", async () => {
    const { messages, type } = setUp();
    await type(VALID.replace("request: 3s", "request: soon"));
    await waitFor(() =>
      expect(messages()).toEqual([
        'Timeout "cart-timeout" (line 8) spec.request: must be a duration such as "250ms", "10s", "5m" or "1h"',
      ]),
    );
    expect(screen.getByRole("button", { name: "Apply" })).toHaveProperty("disabled", true);
  });

  test("checks references against the registered services, as the server does", async () => {
    const { messages, type } = setUp();
    await type(VALID.replace("name: cart\n", "name: carts\n"));
    await waitFor(() =>
      expect(messages()).toEqual([
        'Timeout "cart-timeout" (line 7) spec.targetRef: names service "carts", which does not exist',
      ]),
    );
  });

  test("marks the lines with problems in the gutter", async () => {
    const { type } = setUp();
    await type(VALID.replace("request: 3s", "request: soon"));
    await waitFor(() => expect(document.querySelector(".gutter .has-error")?.textContent).toBe("8"));
  });

  test("previews a valid document as a diff and a what-if, and applies the text as typed", async () => {
    const { messages, type, calls, onApplied } = setUp();
    await type(VALID);
    await waitFor(() => expect(messages()).toEqual(["Valid: 1 resource(s)."]));
    const diff = await screen.findByRole("figure", { name: "Diff of Timeout default/cart-timeout" });
    expect(diff.textContent).toContain("+  request: 3s");
    await screen.findByText("1 of 3 online proxies would get new config: web-v1.");

    await userEvent.click(screen.getByRole("button", { name: "Apply" }));
    await waitFor(() => expect(onApplied).toHaveBeenCalledOnce());
    expect(calls.find((call) => call.path === "policies.applyYaml")?.input).toEqual({ text: VALID });
  });

  test("shows the control plane's refusal with what to do about it", async () => {
    const { type } = setUp({
      "policies.applyYaml": () => {
        throw apiError("CONFLICT", 409, 'Timeout "default/cart-timeout" is at version 2, not 1');
      },
    });
    await type(VALID);
    await userEvent.click(await screen.findByRole("button", { name: "Apply" }));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toBe(
      'Could not apply this YAML. Timeout "default/cart-timeout" is at version 2, not 1. Someone changed it after you loaded it: reload it, redo your change and apply again.',
    );
  });
});
