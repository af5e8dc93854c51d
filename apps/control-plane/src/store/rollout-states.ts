import type { RolloutState as RolloutStateRow } from "./generated/sqlite/client.ts";
import type { StoreClient } from "./prisma-client.ts";
import { defaultNamespace } from "./resource-model.ts";

export interface RolloutKey {
  mesh: string;
  namespace?: string;
  /** The Rollout resource's name. */
  name: string;
}

export interface RolloutStateRecord {
  mesh: string;
  namespace: string;
  name: string;
  state: string;
  currentStep: number;
  startedAt: Date;
  updatedAt: Date;
  history: unknown[];
}

export interface RolloutStateInput extends RolloutKey {
  state: string;
  currentStep: number;
  startedAt: Date;
  history: unknown[];
}

function toRecord({ id: _id, history, ...row }: RolloutStateRow): RolloutStateRecord {
  return { ...row, history: JSON.parse(history) as unknown[] };
}

function identityOf(key: RolloutKey) {
  return { mesh: key.mesh, namespace: key.namespace ?? defaultNamespace, name: key.name };
}

/** Where a running Rollout is, so a restarted or newly elected leader carries on from there. */
export function createRolloutStateRepository(prisma: StoreClient) {
  return {
    async get(key: RolloutKey): Promise<RolloutStateRecord | null> {
      const row = await prisma.rolloutState.findUnique({ where: { mesh_namespace_name: identityOf(key) } });
      return row ? toRecord(row) : null;
    },

    async list(filter: { mesh?: string } = {}): Promise<RolloutStateRecord[]> {
      return (await prisma.rolloutState.findMany({ where: filter, orderBy: { id: "asc" } })).map(toRecord);
    },

    async save(input: RolloutStateInput): Promise<RolloutStateRecord> {
      const identity = identityOf(input);
      const progress = {
        state: input.state,
        currentStep: input.currentStep,
        startedAt: input.startedAt,
        history: JSON.stringify(input.history),
      };
      const row = await prisma.rolloutState.upsert({
        where: { mesh_namespace_name: identity },
        create: { ...identity, ...progress },
        update: progress,
      });
      return toRecord(row);
    },

    async delete(key: RolloutKey): Promise<void> {
      await prisma.rolloutState.deleteMany({ where: identityOf(key) });
    },
  };
}

export type RolloutStateRepository = ReturnType<typeof createRolloutStateRepository>;
