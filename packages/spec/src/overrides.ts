import { z } from "zod";

type Overrides<Shape extends z.ZodRawShape> = {
  [Key in keyof Shape]: z.ZodOptional<
    Shape[Key] extends z.ZodDefault<infer Inner> | z.ZodPrefault<infer Inner> ? Inner : Shape[Key]
  >;
};

/**
 * A config's fields, all optional and without their defaults: an override (a TrafficRoute rule's timeout or
 * retry) must leave absent fields absent, so they fall through to the policy in force instead of resetting it.
 */
export function overridesOf<Shape extends z.ZodRawShape>(config: z.ZodObject<Shape>) {
  const shape = Object.fromEntries(
    Object.entries(config.shape).map(([key, field]) => {
      const withoutDefault =
        field instanceof z.ZodDefault || field instanceof z.ZodPrefault ? field.unwrap() : field;
      return [key, (withoutDefault as z.ZodType).optional()];
    }),
  );
  // Object.fromEntries forgets the keys; Overrides<Shape> restates what the map above did.
  return z.strictObject(shape as unknown as Overrides<Shape>);
}
