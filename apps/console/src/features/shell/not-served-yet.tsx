/** A section whose control-plane API does not exist yet: say so, rather than show an empty page. */
export function NotServedYet({ section, api }: { section: string; api: string }) {
  return (
    <>
      <h1>{section}</h1>
      <p className="empty">
        The control plane does not serve the {api} API yet, so there is nothing to show here. This page fills
        in once it does.
      </p>
    </>
  );
}
