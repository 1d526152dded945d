import type { IntentFile, Router } from "@netloom/model";
import { asName, freeName } from "../draft/ops";
import { problemAt } from "../ui/Field";
import { Checklist, type KindFieldsProps, NameField, namesOf } from "./fields";

export function routerShows(path: string): boolean {
  return path === "name" || path.startsWith("networks");
}

export function newRouter(doc: IntentFile): Router {
  return { name: asName(freeName(doc, "routers", "r")), networks: [] };
}

/** A router's fields: name and the networks it joins. */
export function RouterFields({
  value: router,
  onChange: save,
  problems,
  readOnly,
  doc,
}: KindFieldsProps<Router>) {
  return (
    <>
      <NameField
        value={router.name}
        problem={problemAt(problems, "name")}
        readOnly={readOnly}
        onChange={(name) => save({ ...router, name: asName(name) }, "name")}
      />
      <Checklist
        legend="Joined networks (reach each other without a policy; an explicit deny still denies)"
        options={namesOf(doc, "networks")}
        selected={router.networks}
        readOnly={readOnly}
        problem={problems.find((p) => p.path.startsWith("networks"))?.message}
        onChange={(next) => save({ ...router, networks: next.map(asName) }, "networks")}
      />
    </>
  );
}
