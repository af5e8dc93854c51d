import { mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";

// Spans are many and expendable: WAL with synchronous=NORMAL survives a crash of the process and may
// lose only the last batches on power loss, in exchange for not syncing on every batch.
const schema = `
  CREATE TABLE IF NOT EXISTS spans (
    trace_id        TEXT    NOT NULL,
    span_id         TEXT    NOT NULL,
    parent_span_id  TEXT,
    service         TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    kind            INTEGER NOT NULL,
    start_us        INTEGER NOT NULL,
    duration_ms     REAL    NOT NULL,
    status_code     INTEGER NOT NULL,
    status_message  TEXT,
    attributes      TEXT    NOT NULL,
    events          TEXT    NOT NULL,
    PRIMARY KEY (trace_id, span_id)
  );
  CREATE INDEX IF NOT EXISTS spans_by_start ON spans (start_us);
  CREATE INDEX IF NOT EXISTS spans_by_service ON spans (service, start_us);
  -- Searches read matches newest first and stop at the limit: each filter with an index ordered by time.
  CREATE INDEX IF NOT EXISTS spans_by_operation ON spans (name, start_us);
  CREATE INDEX IF NOT EXISTS spans_by_status ON spans (status_code, start_us);
`;

export function openSpanDatabase(file: string): Database.Database {
  mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.exec(schema);
  return db;
}
