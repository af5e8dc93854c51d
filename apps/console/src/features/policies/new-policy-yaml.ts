import type { PolicyKind } from "@loom/spec";

/**
 * The envelope every policy shares; the editor's validation then names each field the kind still needs, in
 * the spec package's words, instead of this file keeping a copy of every kind's fields.
 */
export function newPolicyYaml(kind: PolicyKind, service: string | undefined): string {
  return `kind: ${kind}
metadata:
  name: ${service ? `${service}-${kind.toLowerCase()}` : ""}
  mesh: default
spec:
  targetRef:
    kind: Service
    name: ${service ?? ""}
`;
}
