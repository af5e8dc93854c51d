import { isKind, POLICY_KINDS, type PolicyKind } from "@loom/spec";
import { usePathname, useRouter, useSearchParams } from "next/navigation";

export type PolicyView = "yaml" | "edit" | "history";

export interface PolicySelection {
  kind: PolicyKind;
  /** `mesh/namespace/name` of the selected policy of that kind. */
  policy: string | undefined;
  view: PolicyView;
  /** True while writing a new policy. */
  creating: boolean;
}

function isPolicyKind(value: string | null): value is PolicyKind {
  return isKind(value) && (POLICY_KINDS as readonly string[]).includes(value);
}

const VIEWS: readonly string[] = ["yaml", "edit", "history"] satisfies PolicyView[];

/** The page's selection lives in the URL, so a link (or a reload) shows the same policy. */
export function usePolicySelection(): [PolicySelection, (change: Partial<PolicySelection>) => void] {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const kindParam = params.get("kind");
  const viewParam = params.get("view");
  const selection: PolicySelection = {
    kind: isPolicyKind(kindParam) ? kindParam : "TrafficRoute",
    policy: params.get("policy") ?? undefined,
    view: viewParam !== null && VIEWS.includes(viewParam) ? (viewParam as PolicyView) : "yaml",
    creating: params.get("new") === "1",
  };

  function select(change: Partial<PolicySelection>) {
    const next = { ...selection, ...change };
    const query = new URLSearchParams({ kind: next.kind });
    if (next.policy) query.set("policy", next.policy);
    if (next.view !== "yaml") query.set("view", next.view);
    if (next.creating) query.set("new", "1");
    router.replace(`${pathname}?${query}`, { scroll: false });
  }

  return [selection, select];
}
