// A mobile developer's first sync, written against the types openapi-typescript generates from
// GET /v1/openapi.json, sent with openapi-fetch: sign up, confirm, sign in, create, edit, trash and
// delete a note through pushes, then pull. No hand edits: tests/e2e/test_generated_clients.py
// generates schema.d.ts beside this file, compiles it with tsc --strict and runs it with node:
//     node sync.js <api url> <email> <note id>
// It prints what the server answered, as JSON, for the test to check.
import createClient from "openapi-fetch";
import type { components, paths } from "./schema.js";

type PushChange = components["schemas"]["PushChange"];
type PushResult = components["schemas"]["PushResult"];

const [baseUrl, email, id] = process.argv.slice(2);
const password = "Correct-Horse-1";
const api = createClient<paths>({ baseUrl });

function outcome(result: PushResult): unknown[] {
  const note = result.note;
  return [result.status, note?.version, note?.title, note?.content, note?.trashed, note?.deleted];
}

async function main(): Promise<void> {
  const observed: Record<string, unknown> = {};
  const signedUp = await api.POST("/v1/auth/sign-up", { body: { email, password, full_name: "TypeScript" } });
  observed.sign_up = signedUp.response.status;
  const confirmed = await api.POST("/v1/auth/confirm", { body: { email, code: "123456" } });
  observed.confirm = confirmed.response.status;
  const signedIn = await api.POST("/v1/auth/sign-in", { body: { email, password } });
  if (signedIn.data === undefined) throw new Error(`sign-in: ${signedIn.response.status}`);
  const tokens = signedIn.data;
  observed.sign_in = tokens.token_type;
  const user = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${tokens.access_token}` } });

  const steps: [string, PushChange][] = [
    ["create", { op: "create", id, title: "Groceries", content: "milk" }],
    ["edit", { op: "update", id, base_version: 1, content: "milk, eggs" }],
    ["trash", { op: "update", id, base_version: 2, trashed: true }],
    ["delete", { op: "delete", id, base_version: 3 }],
  ];
  for (const [step, change] of steps) {
    const pushed = await user.POST("/v1/sync", { body: { changes: [change] } });
    if (pushed.data === undefined) throw new Error(`${step}: ${pushed.response.status}`);
    observed[step] = pushed.data.results.map(outcome);
  }

  const pulled = await user.GET("/v1/sync", { params: { query: { limit: 50 } } });
  if (pulled.data === undefined) throw new Error(`pull: ${pulled.response.status}`);
  observed.pull = pulled.data.changes.map((note) => [note.id, note.version, note.deleted]);
  const again = await user.GET("/v1/sync", { params: { query: { cursor: pulled.data.cursor } } });
  observed.pull_again = again.data?.changes.length;

  // Both shapes of a refusal on one status: the function's problem, the gateway's message
  for (const [who, token] of [["function", tokens.id_token], ["gateway", "not-a-token"]]) {
    const refused = await api.GET("/v1/sync", { headers: { Authorization: `Bearer ${token}` } });
    const error = refused.error;
    observed[`refused_by_${who}`] = [
      refused.response.status,
      error === undefined ? null : "type" in error ? error.type : error.message,
    ];
  }
  console.log(JSON.stringify(observed));
}

main().catch((failure: unknown) => {
  console.error(failure);
  process.exit(1);
});
