import { writeAudit } from "./audit-log.ts";
import { ConflictError, isUniqueViolation, NotFoundError } from "./errors.ts";
import type { User as UserRow } from "./generated/sqlite/client.ts";
import { hashPassword, verifyPassword } from "./password-hash.ts";
import type { StoreClient, StoreTransaction } from "./prisma-client.ts";
import { asRole, type Role } from "./roles.ts";

export interface UserRecord {
  id: number;
  username: string;
  role: Role;
  createdAt: Date;
  /** Console sessions carry the value they were issued under; incrementing it ends them all. */
  sessionEpoch: number;
}

function toRecord({ passwordHash: _hash, ...row }: UserRow): UserRecord {
  return { ...row, role: asRole(row.role) };
}

/** Console users. Passwords are kept only as scrypt hashes. */
export function createUserRepository(prisma: StoreClient) {
  /** Runs `change` (which returns how many rows it touched) and its audit row in one transaction. */
  async function changeUser(
    username: string,
    audit: { actor: string; action: string; detail?: Record<string, unknown> },
    change: (tx: StoreTransaction) => Promise<{ count: number }>,
  ): Promise<void> {
    await prisma.$transaction(async (tx) => {
      const { count } = await change(tx);
      if (count === 0) throw new NotFoundError(`User "${username}" does not exist`);
      await writeAudit(tx, { ...audit, kind: "User", name: username, mesh: "" });
    });
  }

  return {
    /** Fails with ConflictError when the username is taken. */
    async create(
      input: { username: string; password: string; role: Role },
      { actor }: { actor: string },
    ): Promise<UserRecord> {
      const passwordHash = await hashPassword(input.password);
      try {
        return await prisma.$transaction(async (tx) => {
          const row = await tx.user.create({
            data: { username: input.username, passwordHash, role: asRole(input.role) },
          });
          await writeAudit(tx, {
            actor,
            action: "create",
            kind: "User",
            name: input.username,
            mesh: "",
            detail: { role: input.role },
          });
          return toRecord(row);
        });
      } catch (error) {
        if (isUniqueViolation(error))
          throw new ConflictError(`User "${input.username}" already exists`, null);
        throw error;
      }
    },

    /** The user when the password matches, otherwise null (also for unknown usernames). */
    async authenticate(username: string, password: string): Promise<UserRecord | null> {
      const row = await prisma.user.findUnique({ where: { username } });
      if (!row) return null;
      return (await verifyPassword(password, row.passwordHash)) ? toRecord(row) : null;
    },

    async get(username: string): Promise<UserRecord | null> {
      const row = await prisma.user.findUnique({ where: { username } });
      return row ? toRecord(row) : null;
    },

    async list(): Promise<UserRecord[]> {
      return (await prisma.user.findMany({ orderBy: { username: "asc" } })).map(toRecord);
    },

    /** Also ends the user's console sessions: whoever knew the old password may hold one. */
    async setPassword(username: string, password: string, { actor }: { actor: string }): Promise<void> {
      const passwordHash = await hashPassword(password);
      await changeUser(username, { actor, action: "set-password" }, (tx) =>
        tx.user.updateMany({ where: { username }, data: { passwordHash, sessionEpoch: { increment: 1 } } }),
      );
    },

    /** Ends every console session of the user (sign-out); API tokens are revoked separately. */
    async endSessions(username: string, { actor }: { actor: string }): Promise<void> {
      await changeUser(username, { actor, action: "end-sessions" }, (tx) =>
        tx.user.updateMany({ where: { username }, data: { sessionEpoch: { increment: 1 } } }),
      );
    },

    async setRole(username: string, role: Role, { actor }: { actor: string }): Promise<void> {
      await changeUser(username, { actor, action: "set-role", detail: { role } }, (tx) =>
        tx.user.updateMany({ where: { username }, data: { role: asRole(role) } }),
      );
    },

    /** Also deletes the user's API tokens. */
    async delete(username: string, { actor }: { actor: string }): Promise<void> {
      await changeUser(username, { actor, action: "delete" }, (tx) =>
        tx.user.deleteMany({ where: { username } }),
      );
    },
  };
}

export type UserRepository = ReturnType<typeof createUserRepository>;
