"use client";

import { useQuery } from "@tanstack/react-query";
import { EditorOnly } from "@/features/auth/editor-only";
import { ApiErrorMessage } from "@/features/errors/api-error-message";
import { relativeTime } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import { useNow } from "@/lib/use-now";
import { StrictMtlsSwitch } from "./strict-mtls-switch";

export function SecurityPage() {
  const trpc = useTRPC();
  const overview = useQuery(trpc.security.overview.queryOptions());
  const now = useNow();
  const data = overview.data;

  return (
    <>
      <h1>Security</h1>
      {overview.error && <ApiErrorMessage error={overview.error} action="load the mesh's mTLS state" />}
      {data && (
        <>
          <div className="cards">
            <div className="card stat">
              <div className="value">{data.mtls.mode}</div>
              <div className="label">mTLS mode of mesh {data.mesh}</div>
            </div>
            <div className="card stat">
              <div className="value">{data.mtls.trustDomain}</div>
              <div className="label">trust domain</div>
            </div>
          </div>
          {data.mtls.mode !== "strict" && (
            <EditorOnly>
              <StrictMtlsSwitch
                mesh={data.mesh}
                proxiesWithoutCertificate={data.dataplanes
                  .filter((proxy) => proxy.status === "online" && proxy.certificate === null)
                  .map((proxy) => proxy.name)}
              />
            </EditorOnly>
          )}
          <h2>Proxy identities</h2>
          {data.dataplanes.length === 0 ? (
            <p className="empty">No proxy has registered in mesh {data.mesh}.</p>
          ) : (
            <table aria-label="Proxy identities">
              <thead>
                <tr>
                  <th>Proxy</th>
                  <th>Service</th>
                  <th>Status</th>
                  <th>SPIFFE identity</th>
                  <th>Certificate</th>
                </tr>
              </thead>
              <tbody>
                {data.dataplanes.map((proxy) => {
                  const certificate = proxy.certificate;
                  const mismatch = certificate !== null && certificate.identity !== proxy.expectedIdentity;
                  return (
                    <tr key={proxy.id}>
                      <td>{proxy.name}</td>
                      <td>{proxy.service}</td>
                      <td>
                        <span className={`badge ${proxy.status === "online" ? "ok" : "bad"}`}>
                          {proxy.status}
                        </span>
                      </td>
                      <td>
                        <code>{certificate?.identity ?? proxy.expectedIdentity}</code>
                        {mismatch && <div className="error-text">expected {proxy.expectedIdentity}</div>}
                      </td>
                      <td>
                        {certificate ? (
                          <span title={certificate.notAfter}>
                            serial <code>{certificate.serial.slice(0, 12)}</code>, issued{" "}
                            {relativeTime(certificate.issuedAt, now)}, expires{" "}
                            {relativeTime(certificate.notAfter, now)}
                          </span>
                        ) : (
                          <span className="badge warn">no valid certificate: plaintext only</span>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
        </>
      )}
    </>
  );
}
