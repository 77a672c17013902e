// Bodies the server refuses are type errors: each line below it compiles only as an error (tsc
// --strict fails on a @ts-expect-error that has no error to expect), and each good body compiles.
// Compiled, never run, by tests/e2e/test_generated_clients.py.
import type { components } from "./schema.js";

type Schemas = components["schemas"];
const id = "0f8e7d6c-5b4a-4392-8a1b-2c3d4e5f6a7b";

export const good: Schemas["PushChange"][] = [
  { op: "create", id, title: "Groceries", content: "milk" },
  { op: "create", id, title: "Groceries", content: "milk", trashed: true },
  { op: "update", id, base_version: 3, content: "milk, eggs" },
  { op: "update", id, base_version: 3, trashed: true },
  { op: "delete", id, base_version: 4 },
  { op: "delete", id, base_version: null },
  { op: "upsert", id, base_version: null, title: "Groceries", content: "milk" },
];

// @ts-expect-error a change without id
export const noId: Schemas["PushChange"] = { op: "create", title: "Groceries", content: "milk" };
// @ts-expect-error a create without content
export const noContent: Schemas["PushChange"] = { op: "create", id, title: "Groceries" };
// @ts-expect-error an update without the version it is based on
export const noBase: Schemas["PushChange"] = { op: "update", id, content: "milk, eggs" };
// @ts-expect-error a create naming a base version: a create is based on nothing
export const createOnBase: Schemas["PushChange"] = { op: "create", id, title: "t", content: "c", base_version: 1 };
// @ts-expect-error a delete carrying a field
export const deleteWithTitle: Schemas["PushChange"] = { op: "delete", id, base_version: 4, title: "t" };
// @ts-expect-error an op the API does not know
export const move: Schemas["PushChange"] = { op: "move", id, base_version: 4 };
// @ts-expect-error a field of the wrong type
export const trashedText: Schemas["PushChange"] = { op: "update", id, base_version: 3, trashed: "yes" };
// @ts-expect-error a batch update without its id
export const batchNoId: Schemas["BatchRequest"] = { update: [{ base_version: 3, title: "t" }] };
// @ts-expect-error a PATCH body with a server-owned member
export const patchVersion: Schemas["UpdateNoteRequest"] = { title: "t", version: 3 };

// A switch on op narrows a change to its kind
export function describe(change: Schemas["PushChange"]): string {
  switch (change.op) {
    case "create":
      return `create ${change.title}`;
    case "update":
      return `update on ${change.base_version}`;
    case "delete":
      return `delete on ${change.base_version ?? "any version"}`;
    case "upsert":
      return "upsert (deprecated)";
  }
}
