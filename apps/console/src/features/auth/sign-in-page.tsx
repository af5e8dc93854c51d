"use client";

import { useSearchParams } from "next/navigation";
import { SignInForm } from "./sign-in-form";

export function SignInPage() {
  return <SignInForm next={useSearchParams().get("next")} />;
}
