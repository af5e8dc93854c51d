import type { Metadata } from "next";
import { NotServedYet } from "@/features/shell/not-served-yet";

export const metadata: Metadata = { title: "Traces" };

export default function Page() {
  return <NotServedYet section="Traces" api="traces" />;
}
