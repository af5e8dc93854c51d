import { headerMatchSchema, httpMethodSchema, pathMatchSchema, serviceTargetRefSchema } from "@loom/spec";
import {
  ListField,
  MetadataFields,
  NumberField,
  SelectField,
  TagsField,
  TargetRefFields,
  TextField,
} from "./fields";

const SERVICE_KIND = serviceTargetRefSchema.options.map((option) => option.shape.kind.value);
const PATH_TYPES = pathMatchSchema.shape.type.unwrap().options;
const HEADER_MATCH_TYPES = headerMatchSchema.shape.type.unwrap().options;

/**
 * Matches (path, method, headers), weighted backends and per-rule timeout and retry; filters (header changes,
 * mirroring) are kept as they are in the draft (the YAML view edits them).
 */
export function TrafficRouteForm() {
  return (
    <>
      <MetadataFields />
      <TargetRefFields path={["spec", "targetRef"]} label="Routes calls to" kinds={SERVICE_KIND} />
      <ListField
        path={["spec", "rules"]}
        label="Rules (first match wins)"
        itemLabel="Rule"
        newItem={() => ({ backendRefs: [{ tags: { version: "v1" }, weight: 1 }] })}
        item={(rule) => (
          <>
            <ListField
              path={[...rule, "matches"]}
              label="Matches (none: every request)"
              itemLabel="Match"
              newItem={() => ({ path: { type: "PathPrefix", value: "/" } })}
              item={(match) => (
                <>
                  <div className="toolbar">
                    <SelectField path={[...match, "path", "type"]} label="Path match" options={PATH_TYPES} />
                    <TextField path={[...match, "path", "value"]} label="Path" />
                    <SelectField
                      path={[...match, "method"]}
                      label="Method"
                      options={httpMethodSchema.options}
                      optional
                    />
                  </div>
                  <ListField
                    path={[...match, "headers"]}
                    label="Headers (all must match)"
                    itemLabel="Header"
                    newItem={() => ({ type: "Exact", name: "", value: "" })}
                    item={(header) => (
                      <div className="toolbar">
                        <TextField path={[...header, "name"]} label="Header name" />
                        <SelectField
                          path={[...header, "type"]}
                          label="Header match"
                          options={HEADER_MATCH_TYPES}
                        />
                        <TextField path={[...header, "value"]} label="Header value" />
                      </div>
                    )}
                  />
                </>
              )}
            />
            <ListField
              path={[...rule, "backendRefs"]}
              label="Backends (relative weights)"
              itemLabel="Backend"
              newItem={() => ({ tags: {}, weight: 1 })}
              item={(backend) => (
                <div className="toolbar">
                  <TextField path={[...backend, "name"]} label="Service" placeholder="the route's service" />
                  <TagsField path={[...backend, "tags"]} label="Tags" />
                  <NumberField path={[...backend, "weight"]} label="Weight" />
                </div>
              )}
            />
            <div className="toolbar">
              <TextField path={[...rule, "timeout", "request"]} label="Rule timeout" placeholder="policy's" />
              <NumberField path={[...rule, "retry", "attempts"]} label="Rule retry attempts" />
            </div>
          </>
        )}
      />
    </>
  );
}
