export const roles = ["viewer", "editor", "admin"] as const;
export type Role = (typeof roles)[number];

export function asRole(value: string): Role {
  if (!(roles as readonly string[]).includes(value)) throw new Error(`Unknown role "${value}"`);
  return value as Role;
}
