import { spiffeId } from "@loom/proxy/tls";
import { DEFAULT_MESH, type Mesh, meshSpecSchema, nameSchema } from "@loom/spec";
import { z } from "zod";
import type { CertificateRecord } from "../../store/index.ts";
import { createRouter, viewerProcedure } from "../init.ts";

function toCertificateView(certificate: CertificateRecord) {
  return {
    serial: certificate.serial,
    identity: certificate.identity,
    dataplaneId: certificate.dataplaneId,
    notBefore: certificate.notBefore.toISOString(),
    notAfter: certificate.notAfter.toISOString(),
    revokedAt: certificate.revokedAt?.toISOString() ?? null,
    issuedAt: certificate.createdAt.toISOString(),
  };
}

/** mTLS as the security page shows it. Certificates are metadata only: keys never leave the proxies. */
export const securityRouter = createRouter({
  /** The mesh's mTLS mode and, per proxy, the identity it should hold and the certificate it holds. */
  overview: viewerProcedure
    .input(z.object({ mesh: nameSchema.default(DEFAULT_MESH) }).default({ mesh: DEFAULT_MESH }))
    .query(async ({ ctx, input }) => {
      const meshResource = await ctx.store.resources.get({
        kind: "Mesh",
        mesh: input.mesh,
        name: input.mesh,
      });
      // A mesh nobody described yet runs with the spec's defaults, as the config builder assumes.
      const mesh = (meshResource?.spec as Mesh["spec"] | undefined) ?? meshSpecSchema.parse({});
      const [dataplanes, certificates] = await Promise.all([
        ctx.store.dataplanes.list({ mesh: input.mesh }),
        ctx.store.certificates.list({ validAt: new Date() }),
      ]);
      return {
        mesh: input.mesh,
        mtls: mesh.mtls,
        dataplanes: dataplanes.map((dataplane) => {
          const newest = certificates
            .filter((certificate) => certificate.dataplaneId === dataplane.id)
            .at(-1);
          return {
            id: dataplane.id,
            name: dataplane.name,
            service: dataplane.service,
            status: dataplane.status,
            expectedIdentity: spiffeId(mesh.mtls.trustDomain, dataplane.namespace, dataplane.service),
            /** The newest certificate valid now; null means the proxy has none (no mTLS until it renews). */
            certificate: newest ? toCertificateView(newest) : null,
          };
        }),
      };
    }),

  /** Issued certificates, oldest first; `validOnly` keeps those valid now. */
  certificates: viewerProcedure
    .input(
      z
        .object({
          dataplaneId: z.number().int().optional(),
          identity: z.string().optional(),
          validOnly: z.boolean().default(false),
        })
        .default({ validOnly: false }),
    )
    .query(async ({ ctx, input }) => {
      const { validOnly, ...filter } = input;
      const certificates = await ctx.store.certificates.list({
        ...filter,
        validAt: validOnly ? new Date() : undefined,
      });
      return certificates.map(toCertificateView);
    }),
});
