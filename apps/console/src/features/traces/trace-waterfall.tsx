"use client";

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { ApiErrorMessage } from "@/features/errors/api-error-message";
import { formatMs } from "@/features/graph/golden-format";
import { useTRPC } from "@/lib/trpc";
import { type Span, startMs } from "./use-trace-search";

/** OTLP's error status code. */
const STATUS_ERROR = 2;
const KIND_NAMES = ["unspecified", "internal", "server", "client", "producer", "consumer"];
/** Proxies export spans in batches a few seconds apart, so a fresh trace is still filling in. */
const STILL_ARRIVING_MS = 30_000;
const REFRESH_WHILE_ARRIVING_MS = 2_000;

function lastEndMs(spans: readonly Span[]): number {
  return Math.max(...spans.map((span) => startMs(span.startTimeUnixNano) + span.durationMs));
}

/** Depth-first from the roots, children by start time: the order a waterfall reads in. */
function spanTree(spans: readonly Span[]): { span: Span; depth: number }[] {
  const ids = new Set(spans.map((span) => span.spanId));
  const children = new Map<string | null, Span[]>();
  for (const span of spans) {
    // A parent that never arrived (unsampled, or still in flight) makes its child a root.
    const parent = span.parentSpanId !== null && ids.has(span.parentSpanId) ? span.parentSpanId : null;
    children.set(parent, [...(children.get(parent) ?? []), span]);
  }
  const ordered: { span: Span; depth: number }[] = [];
  const visit = (parent: string | null, depth: number) => {
    const level = (children.get(parent) ?? []).sort(
      (a, b) => startMs(a.startTimeUnixNano) - startMs(b.startTimeUnixNano),
    );
    for (const span of level) {
      ordered.push({ span, depth });
      visit(span.spanId, depth + 1);
    }
  };
  visit(null, 0);
  return ordered;
}

function SpanDetails({ span }: { span: Span }) {
  return (
    <div className="span-details">
      <dl className="facts">
        <dt>Service</dt>
        <dd>{span.service}</dd>
        <dt>Kind</dt>
        <dd>{KIND_NAMES[span.kind] ?? span.kind}</dd>
        <dt>Status</dt>
        <dd>
          {span.statusCode === STATUS_ERROR ? "error" : "ok"}
          {span.statusMessage && `: ${span.statusMessage}`}
        </dd>
        {Object.entries(span.attributes).map(([name, value]) => (
          <div key={name} className="fact-row">
            <dt>{name}</dt>
            <dd>
              <code>{typeof value === "string" ? value : JSON.stringify(value)}</code>
            </dd>
          </div>
        ))}
      </dl>
      {span.events.length > 0 && (
        <>
          <h4>Events</h4>
          <pre>{JSON.stringify(span.events, null, 2)}</pre>
        </>
      )}
    </div>
  );
}

export function TraceWaterfall({ traceId }: { traceId: string }) {
  const trpc = useTRPC();
  const trace = useQuery({
    ...trpc.traces.get.queryOptions({ traceId }),
    refetchInterval: (query) => {
      const spans = query.state.data;
      const recent = spans !== undefined && Date.now() - lastEndMs(spans) < STILL_ARRIVING_MS;
      return recent ? REFRESH_WHILE_ARRIVING_MS : false;
    },
  });
  const [openSpan, setOpenSpan] = useState<string>();
  if (trace.error) return <ApiErrorMessage error={trace.error} action={`load trace ${traceId}`} />;
  if (trace.data === undefined) return <p className="muted">Loading trace…</p>;

  const rows = spanTree(trace.data);
  const start = Math.min(...trace.data.map((span) => startMs(span.startTimeUnixNano)));
  const end = lastEndMs(trace.data);
  const total = Math.max(end - start, 0.001);

  return (
    <section className="card" aria-label={`Trace ${traceId}`}>
      <h2>
        Trace <code>{traceId}</code>{" "}
        <span className="muted">
          {formatMs(total)}, {rows.length} spans
        </span>
      </h2>
      <ol className="waterfall">
        {rows.map(({ span, depth }) => {
          const failed = span.statusCode === STATUS_ERROR;
          const offset = startMs(span.startTimeUnixNano) - start;
          return (
            <li key={span.spanId} className={failed ? "failed" : undefined}>
              <button
                type="button"
                className="waterfall-row"
                aria-expanded={openSpan === span.spanId}
                onClick={() => setOpenSpan(openSpan === span.spanId ? undefined : span.spanId)}
              >
                <span className="span-name" style={{ paddingLeft: `${depth * 14}px` }}>
                  <strong>{span.service}</strong> {span.name}
                </span>
                <span className="span-track">
                  <span
                    className="span-bar"
                    style={{
                      left: `${(100 * offset) / total}%`,
                      width: `${Math.max((100 * span.durationMs) / total, 0.5)}%`,
                    }}
                  />
                </span>
                <span className="span-duration">{formatMs(span.durationMs)}</span>
              </button>
              {openSpan === span.spanId && <SpanDetails span={span} />}
            </li>
          );
        })}
      </ol>
    </section>
  );
}
