import type { Metadata } from "next";
import { Suspense } from "react";
import { TapPage } from "@/features/tap/tap-page";

export const metadata: Metadata = { title: "Live tap" };

export default function Page() {
  return (
    <Suspense>
      <TapPage />
    </Suspense>
  );
}
