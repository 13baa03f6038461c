/*
 * jsonx.c - jansson helpers (see jsonx.h).
 */
#include "jsonx.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

void
s2p_json_use_xalloc(void)
{
	json_set_alloc_funcs(s2p_xmalloc, free);
}

int
s2p_json_whole(const json_t *v, long long *out)
{
	const char *s, *p;
	double d;

	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return 1;
	}
	if (json_is_real(v)) {
		d = json_real_value(v);
		if (!(d >= -9e15 && d <= 9e15) || d != (double)(long long)d)
			return 0;
		*out = (long long)d;
		return 1;
	}
	if (!json_is_string(v))
		return 0;
	s = json_string_value(v);
	p = *s == '-' ? s + 1 : s;
	if (*p == '\0' || strlen(p) > 18)
		return 0;
	for (; *p != '\0'; p++)
		if (!isdigit((unsigned char)*p))
			return 0;
	*out = strtoll(s, NULL, 10);
	return 1;
}

/* A JSON string as a C string: NUL characters, which a C string cannot
 * carry and XML 1.0 cannot either, are dropped (sync/text.c drops the
 * other control characters later). New string. */
static char *
without_nul(const json_t *v)
{
	const char *s = json_string_value(v);
	size_t n = json_string_length(v), i, k = 0;
	char *out = s2p_xmalloc(n + 1);

	for (i = 0; i < n; i++)
		if (s[i] != '\0')
			out[k++] = s[i];
	out[k] = '\0';
	return out;
}

int
s2p_json_time(const json_t *v, double *out)
{
	*out = 0.0;
	if (v == NULL || json_is_null(v))
		return 1;
	if (!json_is_number(v) || json_number_value(v) < 0)
		return -1;
	*out = json_number_value(v);
	return 0;
}

char *
s2p_json_text(const json_t *o, const char *key)
{
	return s2p_json_value_text(json_object_get(o, key));
}

void
s2p_json_collect(struct s2p_strv *sv, const json_t *o, const char *arr,
    const char *key)
{
	const json_t *a = json_object_get(o, arr);
	const json_t *e;
	size_t i;

	if (!json_is_array(a))
		return;
	json_array_foreach(a, i, e)
	{
		char *s = s2p_json_value_text(
		    key != NULL ? json_object_get(e, key) : e);

		if (s != NULL)
			s2p_strv_push_take(sv, s);
	}
}

char *
s2p_json_value_text(const json_t *v)
{
	if (json_is_string(v))
		return without_nul(v);
	if (json_is_integer(v))
		return s2p_xasprintf("%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
	return NULL;
}

int
s2p_json_unpack(const json_t *v, struct s2p_error *err, const char *what,
    const char *fmt, ...)
{
	json_error_t je;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = json_vunpack_ex((json_t *)v, &je, 0, fmt, ap);
	va_end(ap);
	if (rc == 0)
		return S2P_OK;
	return s2p_error_set(err, S2P_EPARSE, "%s: %s", what, je.text);
}
