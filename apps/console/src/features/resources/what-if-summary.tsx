import type { WhatIfResult } from "./use-what-if";

/** "2 of 3 proxies would get new config (web-v1, cart-v1)" and each traffic effect in the server's words. */
export function WhatIfSummary({ result }: { result: WhatIfResult }) {
  const { changed, total } = result.dataplanes;
  const minutes = Math.round(result.windowMs / 60_000);
  return (
    <div className="what-if">
      <p>
        {changed.length} of {total} online proxies would get new config
        {changed.length > 0 && `: ${changed.map((proxy) => proxy.name).join(", ")}`}.
      </p>
      {result.traffic.length === 0 ? (
        <p className="muted">No traffic of the last {minutes} min would be affected.</p>
      ) : (
        <ul>
          {result.traffic.map((effect) => (
            <li key={effect.summary}>{effect.summary}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
