import type { Metadata } from "next";
import { NotServedYet } from "@/features/shell/not-served-yet";

export const metadata: Metadata = { title: "Graph" };

export default function Page() {
  return <NotServedYet section="Graph" api="service graph" />;
}
