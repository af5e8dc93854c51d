"use client";

import type { ReactNode } from "react";
import { useCanWrite } from "./use-session";

/** Write controls: a viewer does not see them at all (the control plane would refuse them anyway). */
export function EditorOnly({ children }: { children: ReactNode }) {
  return useCanWrite() ? children : null;
}
