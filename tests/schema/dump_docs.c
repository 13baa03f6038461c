/*
 * dump_docs.c - print every GraphQL document the Stash client can send, as a
 * JSON array [{"name", "query"}], for tests/schema/validate.mjs to check
 * against Stash's real schema.
 */
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "net/stash.h"

int
main(void)
{
	const struct s2p_gql_doc *d = s2p_stash_documents();
	json_t *arr = json_array();
	int rc = 1;

	for (; d->name != NULL; d++)
		json_array_append_new(arr,
		    json_pack("{s:s, s:s}", "name", d->name, "query",
			d->query));
	if (json_dumpf(arr, stdout, JSON_INDENT(2)) == 0 &&
	    fputc('\n', stdout) != EOF && fflush(stdout) == 0)
		rc = 0;
	json_decref(arr);
	return rc;
}
