"use client";

import { type UIEvent, useRef } from "react";

/** A YAML textarea with line numbers; lines with problems are marked so the messages below can be found. */
export function YamlEditor({
  value,
  onChange,
  problemLines,
  label,
  readOnly = false,
}: {
  value: string;
  onChange?: (value: string) => void;
  problemLines: ReadonlySet<number>;
  label: string;
  readOnly?: boolean;
}) {
  const gutter = useRef<HTMLDivElement>(null);
  const lineCount = value.split("\n").length;

  function keepGutterAligned(event: UIEvent<HTMLTextAreaElement>) {
    if (gutter.current) gutter.current.scrollTop = event.currentTarget.scrollTop;
  }

  return (
    <div className="yaml-editor">
      <div className="gutter" ref={gutter} aria-hidden="true">
        {Array.from({ length: lineCount }, (_, index) => {
          const line = index + 1;
          return (
            <div key={line} className={problemLines.has(line) ? "has-error" : undefined}>
              {line}
            </div>
          );
        })}
      </div>
      <textarea
        className="code"
        aria-label={label}
        spellCheck={false}
        autoCapitalize="off"
        autoCorrect="off"
        wrap="off"
        readOnly={readOnly}
        rows={Math.min(Math.max(lineCount + 1, 14), 40)}
        value={value}
        onChange={(event) => onChange?.(event.target.value)}
        onScroll={keepGutterAligned}
      />
    </div>
  );
}
