import type { Metadata } from "next";
import { Suspense } from "react";
import { CanaryPage } from "@/features/canary/canary-page";

export const metadata: Metadata = { title: "Canary" };

export default function Page() {
  return (
    <Suspense>
      <CanaryPage />
    </Suspense>
  );
}
