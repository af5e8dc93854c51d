import {
  headerMatchSchema,
  httpMethodSchema,
  pathMatchSchema,
  type RouteFilter,
  routeFilterSchema,
  serviceTargetRefSchema,
} from "@loom/spec";
import type { FieldPath } from "./draft";
import {
  ListField,
  ListTextField,
  MetadataFields,
  NumberField,
  SelectField,
  TagsField,
  TargetRefFields,
  TextField,
} from "./fields";
import { useField } from "./form-context";

const SERVICE_KIND = serviceTargetRefSchema.options.map((option) => option.shape.kind.value);
const PATH_TYPES = pathMatchSchema.shape.type.unwrap().options;
const HEADER_MATCH_TYPES = headerMatchSchema.shape.type.unwrap().options;
const FILTER_TYPES = routeFilterSchema.options.map((option) => option.shape.type.value);

/** A filter of each type as it is first added: empty where the spec has defaults, so it names what it needs. */
const NEW_FILTER: Record<RouteFilter["type"], () => unknown> = {
  RequestHeaderModifier: () => ({ type: "RequestHeaderModifier", requestHeaderModifier: {} }),
  ResponseHeaderModifier: () => ({ type: "ResponseHeaderModifier", responseHeaderModifier: {} }),
  RequestMirror: () => ({ type: "RequestMirror", requestMirror: { backendRef: { tags: {} } } }),
};

function HeaderChanges({ path }: { path: FieldPath }) {
  const header = (verb: "set" | "add") => (
    <ListField
      path={[...path, verb]}
      label={verb === "set" ? "Set (replace)" : "Add (append)"}
      itemLabel={verb === "set" ? "Set header" : "Added header"}
      newItem={() => ({ name: "", value: "" })}
      item={(item) => (
        <div className="toolbar">
          <TextField path={[...item, "name"]} label="Header name" />
          <TextField path={[...item, "value"]} label="Header value" />
        </div>
      )}
    />
  );
  return (
    <>
      {header("set")}
      {header("add")}
      <ListTextField path={[...path, "remove"]} label="Remove (header names)" />
    </>
  );
}

/** One filter: changing its type replaces it with a new filter of that type (the types share no fields). */
function RouteFilterFields({ path }: { path: FieldPath }) {
  const filter = useField(path);
  const type = (filter.value as { type?: RouteFilter["type"] } | undefined)?.type;
  return (
    <>
      <div className="form-field">
        <label htmlFor={`${filter.id}-type`}>Filter</label>
        <select
          id={`${filter.id}-type`}
          value={type ?? ""}
          onChange={(event) => filter.set(NEW_FILTER[event.target.value as RouteFilter["type"]]())}
        >
          {FILTER_TYPES.map((option) => (
            <option key={option}>{option}</option>
          ))}
        </select>
      </div>
      {type === "RequestHeaderModifier" && <HeaderChanges path={[...path, "requestHeaderModifier"]} />}
      {type === "ResponseHeaderModifier" && <HeaderChanges path={[...path, "responseHeaderModifier"]} />}
      {type === "RequestMirror" && (
        <div className="toolbar">
          <TextField
            path={[...path, "requestMirror", "backendRef", "name"]}
            label="Mirror to service"
            placeholder="the route's service"
          />
          <TagsField path={[...path, "requestMirror", "backendRef", "tags"]} label="Mirror tags" />
          <NumberField path={[...path, "requestMirror", "percent"]} label="Mirrored (%)" />
        </div>
      )}
    </>
  );
}

/** Matches (path, method, headers), weighted backends, filters (header changes, mirroring), and per-rule timeout and retry. */
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
            <ListField
              path={[...rule, "filters"]}
              label="Filters (in order)"
              itemLabel="Filter"
              newItem={NEW_FILTER.RequestHeaderModifier}
              item={(filter) => <RouteFilterFields path={filter} />}
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
