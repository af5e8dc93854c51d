import type { Metadata } from "next";
import { NotServedYet } from "@/features/shell/not-served-yet";

export const metadata: Metadata = { title: "Permissions" };

export default function Page() {
  return <NotServedYet section="Permissions" api="permission matrix" />;
}
