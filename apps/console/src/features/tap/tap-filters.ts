/** What the proxy's /tap filters on (packages/proxy/src/tap/filter.ts); empty fields match everything. */
export interface TapFilters {
  method: string;
  path: string;
  status: string;
  source: string;
  destination: string;
  direction: string;
}

export const NO_FILTERS: TapFilters = {
  method: "",
  path: "",
  status: "",
  source: "",
  destination: "",
  direction: "",
};

/** Only the fields set, trimmed: what tap.stream passes on to the proxy. */
export function activeFilters(filters: TapFilters): Partial<TapFilters> {
  return Object.fromEntries(
    Object.entries(filters)
      .map(([field, value]) => [field, value.trim()])
      .filter(([, value]) => value !== ""),
  );
}
