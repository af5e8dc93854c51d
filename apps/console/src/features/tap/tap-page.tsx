"use client";

import { useQuery } from "@tanstack/react-query";
import { useSearchParams } from "next/navigation";
import { useState } from "react";
import { useCanWrite, useSession } from "@/features/auth/use-session";
import { ApiErrorMessage } from "@/features/errors/api-error-message";
import { useTRPC } from "@/lib/trpc";
import { TapFilterForm } from "./tap-filter-form";
import { NO_FILTERS, type TapFilters } from "./tap-filters";
import { MAX_TAP_ROWS } from "./tap-rows";
import { type TappedProxy, TapStream } from "./tap-stream";
import { TapTable } from "./tap-table";
import { useTapFeed } from "./use-tap-feed";

/** Each proxy streams separately (one browser connection each); a service's first few are enough to watch. */
const MAX_PROXIES_PER_SERVICE = 4;

/** `service:cart` or `proxy:12`: one select offers both. */
type TapTarget = string;

export function TapPage() {
  const { user } = useSession();
  const canTap = useCanWrite();
  return (
    <>
      <h1>Live tap</h1>
      {user && !canTap ? (
        <p className="empty" role="note">
          The live tap is for editors and admins: request paths can carry sensitive data, so the control plane
          does not relay them to viewers. Ask an admin for the editor role to watch requests here.
        </p>
      ) : (
        user && <TapWorkbench />
      )}
    </>
  );
}

function TapWorkbench() {
  const trpc = useTRPC();
  const params = useSearchParams();
  const proxies = useQuery(trpc.dataplanes.list.queryOptions({ status: "online" }));
  const [target, setTarget] = useState<TapTarget>(() => {
    const service = params.get("service");
    const proxy = params.get("proxy");
    return service ? `service:${service}` : proxy ? `proxy:${proxy}` : "";
  });
  const [filters, setFilters] = useState<TapFilters>(NO_FILTERS);
  const [paused, setPaused] = useState(false);
  const session = target === "" ? "" : `${target} ${JSON.stringify(filters)}`;
  const feed = useTapFeed(session);

  const online = proxies.data ?? [];
  const services = [...new Set(online.map((proxy) => proxy.service))].sort();
  const [targetKind, targetValue] = target.split(":");
  const ofService = online.filter((proxy) => targetKind === "service" && proxy.service === targetValue);
  const tapped: TappedProxy[] =
    targetKind === "proxy"
      ? online.filter((proxy) => String(proxy.id) === targetValue)
      : ofService.slice(0, MAX_PROXIES_PER_SERVICE);

  function choose(next: TapTarget) {
    setTarget(next);
    setPaused(false);
  }

  return (
    <>
      {proxies.error && <ApiErrorMessage error={proxies.error} action="list the proxies" />}
      <section className="card stack" aria-label="What to tap">
        <div className="toolbar">
          <label>
            Service or proxy
            <select value={target} onChange={(event) => choose(event.target.value)}>
              <option value="">choose a service or a proxy…</option>
              <optgroup label="Services (their proxies)">
                {services.map((service) => (
                  <option key={service} value={`service:${service}`}>
                    {service}
                  </option>
                ))}
              </optgroup>
              <optgroup label="Proxies">
                {online.map((proxy) => (
                  <option key={proxy.id} value={`proxy:${proxy.id}`}>
                    {proxy.name}
                  </option>
                ))}
              </optgroup>
            </select>
          </label>
          <button
            type="button"
            disabled={tapped.length === 0}
            aria-pressed={paused}
            onClick={() => setPaused((current) => !current)}
          >
            {paused ? "Resume" : "Pause"}
          </button>
          <button type="button" onClick={feed.clear} disabled={feed.rows.length === 0}>
            Clear
          </button>
        </div>
        <TapFilterForm filters={filters} services={services} onApply={setFilters} />
        {ofService.length > MAX_PROXIES_PER_SERVICE && (
          <p className="muted">
            Tapping {MAX_PROXIES_PER_SERVICE} of {ofService.length} proxies of {targetValue}; pick a proxy to
            watch another one.
          </p>
        )}
        {target !== "" && proxies.data && tapped.length === 0 && (
          <p className="empty">No online proxy to tap there: it may have gone offline.</p>
        )}
        <div className="toolbar">
          {tapped.map((proxy) => (
            <TapStream
              key={proxy.id}
              proxy={proxy}
              filters={filters}
              session={session}
              paused={paused}
              onRequest={feed.addRequest}
              onDropped={feed.addDropped}
            />
          ))}
        </div>
      </section>
      {target === "" ? (
        <p className="empty">Choose a service or a proxy to watch its requests as they happen.</p>
      ) : (
        <>
          <p className="muted" role="status" aria-label="Tap status">
            {paused ? "Paused" : "Streaming"}: {feed.rows.length} request(s) shown, newest first (the last{" "}
            {MAX_TAP_ROWS} are kept)
            {feed.dropped > 0 && `; ${feed.dropped} dropped by the proxies to stay within their tap rate`}.
          </p>
          <TapTable rows={feed.rows} />
        </>
      )}
    </>
  );
}
