"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

const SECTIONS = [
  { href: "/", label: "Overview" },
  { href: "/graph", label: "Graph" },
  { href: "/services", label: "Services" },
  { href: "/traces", label: "Traces" },
  { href: "/tap", label: "Live tap" },
  { href: "/security", label: "Security" },
  { href: "/policies", label: "Policies" },
  { href: "/permissions", label: "Permissions" },
  { href: "/proxies", label: "Proxies" },
] as const;

function isCurrent(pathname: string, href: string): boolean {
  return href === "/" ? pathname === "/" : pathname === href || pathname.startsWith(`${href}/`);
}

export function NavLinks() {
  const pathname = usePathname();
  return (
    <nav aria-label="Sections">
      <ul className="nav-links">
        {SECTIONS.map(({ href, label }) => (
          <li key={href}>
            <Link href={href} aria-current={isCurrent(pathname, href) ? "page" : undefined}>
              {label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}
