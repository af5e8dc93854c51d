import type { Metadata } from "next";
import { ServiceDetailPage } from "@/features/services/service-detail-page";

type Params = Promise<{ name: string }>;

export async function generateMetadata({ params }: { params: Params }): Promise<Metadata> {
  return { title: decodeURIComponent((await params).name) };
}

export default async function Page({ params }: { params: Params }) {
  return <ServiceDetailPage name={decodeURIComponent((await params).name)} />;
}
