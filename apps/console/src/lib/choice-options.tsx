/** A select's options: an empty choice (`none`: "any", "all"…) that clears the filter, then each of `choices`. */
export function ChoiceOptions({ none, choices }: { none: string; choices: readonly string[] }) {
  return (
    <>
      <option value="">{none}</option>
      {choices.map((choice) => (
        <option key={choice}>{choice}</option>
      ))}
    </>
  );
}

/** A select's options from a record of value → what the operator reads. */
export function LabelledOptions({ labels }: { labels: Readonly<Record<string, string>> }) {
  return (
    <>
      {Object.entries(labels).map(([value, label]) => (
        <option key={value} value={value}>
          {label}
        </option>
      ))}
    </>
  );
}
