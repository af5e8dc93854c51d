import type { Metadata } from "next";
import { Suspense } from "react";
import { PermissionsPage } from "@/features/permissions/permissions-page";

export const metadata: Metadata = { title: "Permissions" };

export default function Page() {
  return (
    <Suspense>
      <PermissionsPage />
    </Suspense>
  );
}
