import { useCallback, useEffect, useRef, useState } from "react";
import { keepNewest, type TapRequestData, type TapRow, toTapRow } from "./tap-rows";

// Events arrive up to 100/s per proxy: rendering them in batches keeps the page responsive.
const FLUSH_MS = 250;

/**
 * The rows on screen, fed by any number of proxy streams, and how many events the proxies dropped. `session`
 * names what is tapped (target and filters): a new one starts an empty list, and events still arriving from
 * the streams of the previous one are ignored.
 */
export function useTapFeed(session: string) {
  const [rows, setRows] = useState<TapRow[]>([]);
  const [dropped, setDropped] = useState(0);
  const pending = useRef<TapRow[]>([]);
  const seq = useRef(0);
  const current = useRef(session);

  useEffect(() => {
    const flush = setInterval(() => {
      if (pending.current.length === 0) return;
      const arrived = pending.current;
      pending.current = [];
      setRows((current) => keepNewest(current, arrived));
    }, FLUSH_MS);
    return () => clearInterval(flush);
  }, []);

  const clear = useCallback(() => {
    pending.current = [];
    setRows([]);
    setDropped(0);
  }, []);

  if (current.current !== session) {
    current.current = session;
    pending.current = [];
  }
  useEffect(() => {
    if (session !== "") clear();
  }, [session, clear]);

  const addRequest = useCallback((data: TapRequestData, proxy: string, from: string) => {
    if (from !== current.current) return;
    seq.current += 1;
    pending.current.push(toTapRow(data, proxy, seq.current));
  }, []);
  const addDropped = useCallback((count: number, from: string) => {
    if (from === current.current) setDropped((total) => total + count);
  }, []);

  return { rows, dropped, addRequest, addDropped, clear };
}
