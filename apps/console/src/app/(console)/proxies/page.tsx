import type { Metadata } from "next";
import { ProxiesPage } from "@/features/proxies/proxies-page";

export const metadata: Metadata = { title: "Proxies" };

export default function Page() {
  return <ProxiesPage />;
}
