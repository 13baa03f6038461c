// validate.mjs - validate the Stash client's GraphQL documents against the
// real Stash schema with graphql-js.
//
// usage: node validate.mjs <schema dir> <documents.json>...
// <schema dir> holds schema.graphql and types/*.graphql (Stash's layout);
// <documents.json> is the output of dump-gql-docs: [{"name", "query"}]
// (more files of that shape may follow: the UI plugin's ui/src/queries.json).
// Prints "<name> OK" or "<name> FAIL: <reason>" per document and exits
// non-zero when any document fails (or when there are none).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, parse, validate } from 'graphql';

const [schemaDir, ...docsFiles] = process.argv.slice(2);
if (!schemaDir || docsFiles.length === 0) {
  console.error('usage: node validate.mjs <schema dir> <documents.json>');
  process.exit(2);
}

const parts = [readFileSync(join(schemaDir, 'schema.graphql'), 'utf8')];
const typesDir = join(schemaDir, 'types');
for (const f of readdirSync(typesDir).filter((f) => f.endsWith('.graphql')).sort()) {
  parts.push(readFileSync(join(typesDir, f), 'utf8'));
}
const schema = buildSchema(parts.join('\n'));

const docs = docsFiles.flatMap((f) => JSON.parse(readFileSync(f, 'utf8')));
if (!Array.isArray(docs) || docs.length === 0) {
  console.error('no documents to validate');
  process.exit(1);
}

let failed = 0;
for (const { name, query } of docs) {
  let errors;
  try {
    const ast = parse(query);
    errors = validate(schema, ast);
    const ops = ast.definitions.filter((d) => d.kind === 'OperationDefinition');
    if (!ops.some((d) => d.name && d.name.value === name)) {
      errors = [...errors, { message: `no operation named ${name}` }];
    }
  } catch (e) {
    errors = [e];
  }
  if (errors.length === 0) {
    console.log(`${name} OK`);
  } else {
    failed++;
    console.log(`${name} FAIL: ${errors.map((e) => e.message).join('; ')}`);
  }
}
console.log(`${docs.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
