import { describeApiError } from "./describe-api-error";

/** An API failure as the operator needs it: what was being done, the control plane's reason, each problem. */
export function ApiErrorMessage({ error, action }: { error: unknown; action: string }) {
  const { summary, problems } = describeApiError(error);
  return (
    <div role="alert" className="error-message">
      <strong>Could not {action}.</strong> {summary}
      {problems.length > 0 && (
        <ul>
          {problems.map((problem) => (
            <li key={problem}>{problem}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
