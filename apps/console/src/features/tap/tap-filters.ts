import { TAP_FILTER_FIELDS, type TapFilterField } from "@loom/spec";

/** The proxy's /tap filters (tapFilterSchema in packages/spec) as the form holds them; empty matches everything. */
export type TapFilters = Record<TapFilterField, string>;

export const NO_FILTERS = Object.fromEntries(TAP_FILTER_FIELDS.map((field) => [field, ""])) as TapFilters;

/** Only the fields set, trimmed: what tap.stream passes on to the proxy. */
export function activeFilters(filters: TapFilters): Partial<TapFilters> {
  return Object.fromEntries(
    Object.entries(filters)
      .map(([field, value]) => [field, value.trim()])
      .filter(([, value]) => value !== ""),
  );
}
