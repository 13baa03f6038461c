/*
 * gqlmini.h - a small but strict GraphQL engine for fake-stash: a parser for
 * executable documents (operations, fragments, variables, directives), a
 * validator against a hand-written schema subset (unknown fields, arguments,
 * input fields and enum values, undefined/unused variables and fragments,
 * variable type positions), gqlgen-style variable coercion and an executor
 * that walks the selection set (aliases, fragment merging, __typename,
 * @skip/@include, null propagation) and asks a resolver callback for values.
 *
 * Parse and validation failures are reported as a JSON "errors" array in
 * gqlgen's shape; the caller answers them with HTTP 422 like gqlgen does.
 */
#ifndef GQLMINI_H
#define GQLMINI_H

#include <stddef.h>

#include <jansson.h>

#include "core/compat.h"

/* ---- schema description (static tables written by the user) ---- */

enum fake_gql_kind {
	FAKE_GQL_SCALAR,
	FAKE_GQL_OBJECT,
	FAKE_GQL_INPUT,
	FAKE_GQL_ENUM,
};

/* A field of an object or input type, or a value of an enum (type NULL).
 * type is SDL notation ("[Scene!]!"); args is "name:Type,name:Type" or
 * NULL. */
struct fake_gql_field {
	const char *name;
	const char *type;
	const char *args;
};

struct fake_gql_type {
	const char *name;
	enum fake_gql_kind kind;
	const struct fake_gql_field *fields; /* {NULL} terminated */
};

struct fake_gql_schema {
	const struct fake_gql_type *types; /* {NULL} terminated */
	const char *query;                 /* root type names */
	const char *mutation;
};

/* ---- parsed documents ---- */

struct fake_gql_doc;
struct fake_gql_op;

/* Parse text. On a syntax error returns NULL and sets *errors to a new
 * gqlgen-style errors array (code GRAPHQL_PARSE_FAILED). */
struct fake_gql_doc *fake_gql_parse(const char *text, json_t **errors);
void fake_gql_doc_free(struct fake_gql_doc *d);

/* Pick the operation (operation_name may be NULL or "" when the document
 * has exactly one), validate the whole document against the schema and
 * coerce the variables (an object or NULL). On success returns the
 * operation and *vars_out a new object of coerced variables; otherwise
 * NULL and *errors a new errors array (GRAPHQL_VALIDATION_FAILED). */
const struct fake_gql_op *fake_gql_prepare(const struct fake_gql_doc *d,
    const struct fake_gql_schema *s, const char *operation_name,
    json_t *variables, json_t **vars_out, json_t **errors);

/* "query", "mutation" or "subscription". */
const char *fake_gql_op_kind(const struct fake_gql_op *op);
/* The names of the root fields the operation selects, for logging. */
char *fake_gql_op_root_fields(const struct fake_gql_op *op);

/* ---- execution ---- */

/* What a resolver returns for one field. For a scalar or enum field set
 * value (a new reference; NULL means null). For an object field set obj
 * (NULL means null); for a list of objects set objs/nobjs (objs is a
 * malloc'd array the executor frees, list set to 1). obj_free, when set, is
 * called on obj and on each objs[i] once the executor is done with them.
 * Set error (a malloc'd message) to fail the field. */
struct fake_gql_result {
	json_t *value;
	void *obj;
	void **objs;
	size_t nobjs;
	int list;
	void (*obj_free)(void *);
	char *error;
};

/* Resolve field of an object of type (obj is what the parent returned; the
 * root object is NULL). args holds the coerced arguments (absent ones are
 * left out). */
typedef void (*fake_gql_resolver)(void *ctx, const char *type, void *obj,
    const char *field, json_t *args, struct fake_gql_result *out);

/* Execute a prepared operation. Returns the response object
 * {"data": ..., "errors": [...]?} (new reference). */
json_t *fake_gql_execute(const struct fake_gql_schema *s,
    const struct fake_gql_op *op, json_t *vars, fake_gql_resolver resolve,
    void *ctx);

/* A one-element gqlgen errors array {"message": msg} (new reference). */
json_t *fake_gql_error(const char *msg);

#endif
