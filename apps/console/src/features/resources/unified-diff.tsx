/** A unified diff (as `diff` and the history API produce it), coloured line by line. */
export function UnifiedDiff({ patch, label }: { patch: string; label: string }) {
  // The "Index:" and "===" lines that createPatch puts first say nothing the file headers do not.
  const lines = patch.split("\n").filter((line) => !line.startsWith("Index:") && !line.startsWith("====="));
  const changed = lines.some((line) => /^[+-](?![+-]{2} )/.test(line));
  if (!changed) return <p className="muted">No changes.</p>;
  return (
    <figure className="diff card" aria-label={label}>
      {lines.map((line, index) => (
        // Diff lines repeat (blank lines, braces); their position is their identity.
        // biome-ignore lint/suspicious/noArrayIndexKey: see above
        <div key={index} className={lineClass(line)}>
          {line || " "}
        </div>
      ))}
    </figure>
  );
}

function lineClass(line: string): string | undefined {
  if (line.startsWith("+++") || line.startsWith("---")) return "hunk";
  if (line.startsWith("@@")) return "hunk";
  if (line.startsWith("+")) return "add";
  if (line.startsWith("-")) return "remove";
  return undefined;
}
