/*
 * test_input.c - the stdin document: the protocol doc's examples (sections
 * 2.2 and 2.4), Host/Port mapping, Go's \u escapes and surrogate pairs,
 * malformed documents and wrong types, the size cap over a real pipe, empty
 * input, and which hook inputs count as touching synced fields.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "app/input.h"
#include "core/xalloc.h"

/* Protocol doc section 2.2, as Stash would send it (pretty-printed there). */
static const char task_doc[] =
    "{\n"
    "  \"server_connection\": {\n"
    "    \"Scheme\": \"http\",\n"
    "    \"Host\": \"0.0.0.0\",\n"
    "    \"Port\": 9999,\n"
    "    \"SessionCookie\": {\n"
    "      \"Name\": \"session\",\n"
    "      \"Value\": \"MTczNjU3ODA3M3xEWDhFQVFMX2dBQUJFQUVRQUFCeF9fOEFBUVp6"
    "ZEhKcGJtY01DZ0FJZFhObGNtNWhiV1VHYzNSeWFXNW5EQWNBQldGa2JXbHV8\",\n"
    "      \"Quoted\": false,\n"
    "      \"Path\": \"\",\n"
    "      \"Domain\": \"\",\n"
    "      \"Expires\": \"0001-01-01T00:00:00Z\",\n"
    "      \"RawExpires\": \"\",\n"
    "      \"MaxAge\": 0,\n"
    "      \"Secure\": false,\n"
    "      \"HttpOnly\": false,\n"
    "      \"SameSite\": 0,\n"
    "      \"Partitioned\": false,\n"
    "      \"Raw\": \"\",\n"
    "      \"Unparsed\": null\n"
    "    },\n"
    "    \"Dir\": \"/root/.stash\",\n"
    "    \"PluginDir\": \"/root/.stash/plugins/community/metasync\"\n"
    "  },\n"
    "  \"args\": {\n"
    "    \"mode\": \"full\"\n"
    "  }\n"
    "}";

#define CONN                                                                   \
	"\"server_connection\": {\"Scheme\": \"http\", \"Host\": "             \
	"\"0.0.0.0\", \"Port\": 9999, \"SessionCookie\": {\"Name\": "          \
	"\"session\", \"Value\": \"opaque\"}, \"Dir\": \"/root/.stash\", "     \
	"\"PluginDir\": \"/root/.stash/plugins/community/metasync\"}"

/* Protocol doc section 2.4: a hook after sceneUpdate. */
static const char hook_doc[] =
    "{" CONN ", \"args\": {\"hookContext\": {\"id\": 45, \"type\": "
    "\"Scene.Update.Post\", \"input\": {\"clientMutationId\": null, "
    "\"id\": \"45\", \"title\": \"New title\", \"code\": null, "
    "\"details\": null, \"director\": null, \"url\": null, \"urls\": null, "
    "\"date\": null, \"rating100\": null, \"o_counter\": null, "
    "\"organized\": null, \"studio_id\": null, \"gallery_ids\": null, "
    "\"performer_ids\": null, \"movies\": null, \"groups\": null, "
    "\"tag_ids\": [\"21\"], \"cover_image\": null, \"stash_ids\": null, "
    "\"resume_time\": null, \"play_duration\": null, \"play_count\": null, "
    "\"primary_file_id\": null}, \"inputFields\": [\"title\", \"id\", "
    "\"tag_ids\"]}, \"mode\": \"hook\"}}";

/* Parse text, asserting success. */
static void
parse_ok(struct s2p_input *in, const char *text)
{
	struct s2p_error err;

	s2p_error_clear(&err);
	if (s2p_input_parse(in, text, strlen(text), &err) != S2P_OK)
		fail_msg("parse failed: %s\n%s", err.msg, text);
}

/* Parse text, asserting S2P_EPARSE and a message containing want. */
static void
parse_fails(const char *text, const char *want)
{
	struct s2p_input in;
	struct s2p_error err;

	s2p_error_clear(&err);
	assert_int_equal(s2p_input_parse(&in, text, strlen(text), &err),
	    S2P_EPARSE);
	assert_int_equal(err.code, S2P_EPARSE);
	if (strstr(err.msg, want) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, want);
	/* a failed parse leaves nothing to free */
	assert_null(in.stash_url);
	assert_null(in.args);
	s2p_input_free(&in);
}

/* Parse a document with only args = args_json; return touches(). */
static int
touches(const char *args_json)
{
	struct s2p_input in;
	char *doc;
	int r;

	doc = malloc(strlen(args_json) + 64);
	assert_non_null(doc);
	snprintf(doc, strlen(args_json) + 64,
	    "{\"server_connection\": {}, \"args\": %s}", args_json);
	parse_ok(&in, doc);
	r = s2p_input_touches_synced_field(&in);
	s2p_input_free(&in);
	free(doc);
	return r;
}

static void
test_input__task_example(void **state)
{
	struct s2p_input in;

	(void)state;
	parse_ok(&in, task_doc);
	assert_string_equal(in.stash_url, "http://127.0.0.1:9999");
	assert_string_equal(in.session_cookie,
	    "MTczNjU3ODA3M3xEWDhFQVFMX2dB"
	    "QUJFQUVRQUFCeF9fOEFBUVp6ZEhKcGJtY01DZ0FJZFhObGNtNWhiV1VHYzNSe"
	    "WFXNW5EQWNBQldGa2JXbHV8");
	assert_string_equal(in.stash_dir, "/root/.stash");
	assert_string_equal(in.plugin_dir,
	    "/root/.stash/plugins/community/metasync");
	assert_string_equal(in.mode, "full");
	assert_true(json_is_object(in.args));
	assert_string_equal(json_string_value(json_object_get(in.args, "mode")),
	    "full");
	assert_int_equal(in.is_hook, 0);
	assert_null(in.hook_type);
	assert_int_equal(in.hook_id, 0);
	assert_null(in.hook_input);
	assert_null(in.hook_fields);
	assert_int_equal(s2p_input_touches_synced_field(&in), 0);
	s2p_input_free(&in);
	/* free is idempotent on the emptied struct */
	s2p_input_free(&in);
	s2p_input_free(NULL);
}

static void
test_input__hook_example(void **state)
{
	struct s2p_input in;

	(void)state;
	parse_ok(&in, hook_doc);
	assert_string_equal(in.stash_url, "http://127.0.0.1:9999");
	assert_string_equal(in.session_cookie, "opaque");
	assert_string_equal(in.mode, "hook");
	assert_int_equal(in.is_hook, 1);
	assert_string_equal(in.hook_type, "Scene.Update.Post");
	assert_int_equal(in.hook_id, 45);
	assert_true(json_is_object(in.hook_input));
	assert_string_equal(json_string_value(
				json_object_get(in.hook_input, "title")),
	    "New title");
	assert_true(json_is_array(in.hook_fields));
	assert_int_equal(json_array_size(in.hook_fields), 3);
	assert_int_equal(s2p_input_touches_synced_field(&in), 1);
	s2p_input_free(&in);
}

static void
test_input__scan_create_input_null(void **state)
{
	struct s2p_input in;

	(void)state;
	parse_ok(&in,
	    "{" CONN ", \"args\": {\"hookContext\": {\"id\": 123, "
	    "\"type\": \"Scene.Create.Post\", \"input\": null}, "
	    "\"mode\": \"hook\"}}");
	assert_int_equal(in.is_hook, 1);
	assert_string_equal(in.hook_type, "Scene.Create.Post");
	assert_int_equal(in.hook_id, 123);
	assert_non_null(in.hook_input);
	assert_true(json_is_null(in.hook_input));
	assert_null(in.hook_fields);
	assert_int_equal(s2p_input_touches_synced_field(&in), 0);
	s2p_input_free(&in);

	/* input left out entirely */
	assert_int_equal(touches("{\"hookContext\": {\"id\": 5, \"type\": "
				 "\"Scene.Update.Post\"}}"),
	    0);
}

static void
test_input__destroy_hook(void **state)
{
	struct s2p_input in;

	(void)state;
	parse_ok(&in,
	    "{" CONN ", \"args\": {\"hookContext\": {\"id\": 45, "
	    "\"type\": \"Scene.Destroy.Post\", \"input\": {\"id\": \"45\", "
	    "\"delete_file\": false, \"delete_generated\": true, "
	    "\"checksum\": \"\", \"oshash\": \"7c1e0b2a9f3d4e51\", "
	    "\"path\": \"/data/videos/clip.mp4\"}}, \"mode\": \"hook\"}}");
	assert_string_equal(in.hook_type, "Scene.Destroy.Post");
	assert_int_equal(in.hook_id, 45);
	assert_string_equal(json_string_value(
				json_object_get(in.hook_input, "path")),
	    "/data/videos/clip.mp4");
	assert_int_equal(s2p_input_touches_synced_field(&in), 0);
	s2p_input_free(&in);
}

/* The stash_url for a server_connection body. */
static void
url_is(const char *conn, const char *want)
{
	struct s2p_input in;
	char doc[512];

	snprintf(doc, sizeof(doc), "{\"server_connection\": {%s}}", conn);
	parse_ok(&in, doc);
	if (strcmp(in.stash_url, want) != 0)
		fail_msg("%s gave %s, want %s", conn, in.stash_url, want);
	s2p_input_free(&in);
}

static void
test_input__host_and_port_mapping(void **state)
{
	(void)state;
	url_is("\"Host\": \"0.0.0.0\", \"Port\": 9999",
	    "http://127.0.0.1:9999");
	url_is("\"Host\": \"\", \"Port\": 9999", "http://127.0.0.1:9999");
	url_is("\"Port\": 9999", "http://127.0.0.1:9999");
	url_is("\"Host\": \"::\", \"Port\": 9999", "http://[::1]:9999");
	url_is("\"Host\": \"[::]\", \"Port\": 9999", "http://[::1]:9999");
	url_is("\"Host\": \"::1\", \"Port\": 9999", "http://[::1]:9999");
	url_is("\"Host\": \"2001:db8::5\", \"Port\": 80",
	    "http://[2001:db8::5]:80");
	url_is("\"Host\": \"[2001:db8::5]\", \"Port\": 80",
	    "http://[2001:db8::5]:80");
	url_is("\"Host\": \"fe80::1%eth0\", \"Port\": 80",
	    "http://[fe80::1%25eth0]:80");
	url_is("\"Host\": \"192.168.1.20\", \"Port\": 9999",
	    "http://192.168.1.20:9999");
	url_is("\"Host\": \"stash.lan\", \"Port\": 443, \"Scheme\": "
	       "\"https\"",
	    "https://stash.lan:443");
	url_is("\"Scheme\": \"HTTPS\"", "https://127.0.0.1:9999");
	url_is("\"Scheme\": \"\", \"Port\": null", "http://127.0.0.1:9999");
	url_is("\"Port\": \"9998\"", "http://127.0.0.1:9998");
	url_is("\"Port\": 8080.0", "http://127.0.0.1:8080");
	url_is("\"Port\": 65535", "http://127.0.0.1:65535");
	url_is("\"Port\": 1", "http://127.0.0.1:1");
	url_is("\"SessionCookie\": null", "http://127.0.0.1:9999");

	parse_fails("{\"server_connection\": {\"Port\": 0}}",
	    "server_connection.Port: 0 is not 1-65535");
	parse_fails("{\"server_connection\": {\"Port\": 70000}}",
	    "server_connection.Port: 70000 is not 1-65535");
	parse_fails("{\"server_connection\": {\"Port\": \"99x\"}}",
	    "server_connection.Port: expected a whole number between 1 and "
	    "65535, got a string");
	parse_fails("{\"server_connection\": {\"Port\": true}}",
	    "server_connection.Port: expected a whole number between 1 and "
	    "65535, got a boolean");
	parse_fails("{\"server_connection\": {\"Port\": 80.5}}",
	    "server_connection.Port: expected a whole number between 1 and "
	    "65535, got 80.5");
	parse_fails("{\"server_connection\": {\"Scheme\": \"ftp\"}}",
	    "server_connection.Scheme: expected http or https");
	parse_fails("{\"server_connection\": {\"Host\": \"evil.com/x?\"}}",
	    "server_connection.Host: not a host name or address");
	parse_fails("{\"server_connection\": {\"Host\": \"a b\"}}",
	    "server_connection.Host");
	parse_fails("{\"server_connection\": {\"Host\": \"user@h\"}}",
	    "server_connection.Host");
	parse_fails("{\"server_connection\": {\"Host\": \"[1.2.3.4]\"}}",
	    "server_connection.Host");
	parse_fails("{\"server_connection\": {\"Host\": \"[::1\"}}",
	    "server_connection.Host");
	parse_fails("{\"server_connection\": {\"Host\": \"fe80::1%a/b\"}}",
	    "server_connection.Host");
	parse_fails("{\"server_connection\": {\"Host\": 127}}",
	    "server_connection.Host: expected a string, got 127");
}

static void
test_input__go_escapes_and_surrogates(void **state)
{
	struct s2p_input in;
	const char *title;

	(void)state;
	parse_ok(&in,
	    "{\"server_connection\": {\"Dir\": "
	    "\"C:\\\\Users\\\\me\\\\.stash\", \"PluginDir\": "
	    "\"/p/\\ud83d\\ude00\\u00e9\\u2028\"}, \"args\": {\"mode\": "
	    "\"hook\", \"hookContext\": {\"id\": \"7\", \"type\": "
	    "\"Scene.Update.Post\", \"input\": {\"id\": \"7\", \"title\": "
	    "\"\\u003cb\\u003eA \\u0026 B\\u003c/b\\u003e\"}}}}");
	assert_string_equal(in.stash_dir, "C:\\Users\\me\\.stash");
	/* U+1F600 from a surrogate pair, U+00E9, U+2028, all as UTF-8 */
	assert_string_equal(in.plugin_dir,
	    "/p/\xf0\x9f\x98\x80\xc3\xa9\xe2\x80\xa8");
	title = json_string_value(json_object_get(in.hook_input, "title"));
	assert_string_equal(title, "<b>A & B</b>");
	/* a numeric-string id is accepted */
	assert_int_equal(in.hook_id, 7);
	/* no inputFields: the non-null keys decide (title is synced) */
	assert_int_equal(s2p_input_touches_synced_field(&in), 1);
	s2p_input_free(&in);

	/* a lone surrogate is not valid JSON text */
	parse_fails("{\"args\": {\"mode\": \"\\ud83d\"}}",
	    "invalid JSON input at line 1");
	/* an embedded NUL cannot reach a C string */
	parse_fails("{\"args\": {\"mode\": \"a\\u0000b\"}}",
	    "args.mode: contains a NUL character");
}

static void
test_input__invalid_json(void **state)
{
	struct s2p_input in;
	struct s2p_error err;
	static const char broken_cookie[] =
	    "{\"server_connection\": "
	    "{\"SessionCookie\": {\"Value\": \"SECRETCOOKIEVALUE\\q\"}}}";

	(void)state;
	parse_fails("{\"server_connection\": ", "invalid JSON input at line 1");
	parse_fails("{\"args\": {}} trailing", "invalid JSON input");
	parse_fails("{'args': 1}", "invalid JSON input");
	parse_fails("\xff\xfe{}", "invalid JSON input");

	/* jansson's " near '<token>'" would quote the cookie: it is cut */
	assert_int_equal(s2p_input_parse(&in, broken_cookie,
			     strlen(broken_cookie), &err),
	    S2P_EPARSE);
	assert_null(strstr(err.msg, "SECRET"));
	assert_null(strstr(err.msg, "near"));
	assert_non_null(strstr(err.msg, "invalid JSON input at line 1"));
}

static void
test_input__non_object_root(void **state)
{
	(void)state;
	parse_fails("[]", "document: expected a JSON object, got an array");
	parse_fails("\"x\"", "document: expected a JSON object, got a string");
	parse_fails("42", "document: expected a JSON object, got 42");
	parse_fails("null", "document: expected a JSON object, got null");
	parse_fails("true", "document: expected a JSON object, got a boolean");
}

static void
test_input__wrong_types(void **state)
{
	(void)state;
	parse_fails("{\"server_connection\": []}",
	    "invalid input: server_connection: expected an object, "
	    "got an array");
	parse_fails("{\"server_connection\": {\"SessionCookie\": \"x\"}}",
	    "server_connection.SessionCookie: expected an object, got a "
	    "string");
	parse_fails("{\"server_connection\": {\"SessionCookie\": "
		    "{\"Value\": 5}}}",
	    "server_connection.SessionCookie.Value: "
	    "expected a string, got 5");
	parse_fails("{\"server_connection\": {\"Dir\": 1}}",
	    "server_connection.Dir: expected a string");
	parse_fails("{\"server_connection\": {\"PluginDir\": {}}}",
	    "server_connection.PluginDir: expected a string, got an object");
	parse_fails("{\"args\": \"mode=all\"}",
	    "invalid input: args: expected an object, got a string");
	parse_fails("{\"args\": {\"mode\": 3}}",
	    "args.mode: expected a string, got 3");
	parse_fails("{\"args\": {\"hookContext\": []}}",
	    "args.hookContext: expected an object, got an array");
	parse_fails("{\"args\": {\"hookContext\": {\"id\": \"abc\", "
		    "\"type\": \"Scene.Update.Post\"}}}",
	    "args.hookContext.id: expected a whole number, got a string");
	parse_fails("{\"args\": {\"hookContext\": {\"id\": -1, "
		    "\"type\": \"Scene.Update.Post\"}}}",
	    "args.hookContext.id: -1 is negative");
	parse_fails("{\"args\": {\"hookContext\": {\"id\": 1}}}",
	    "args.hookContext.type: missing");
	parse_fails("{\"args\": {\"hookContext\": {\"id\": 1, \"type\": 2}}}",
	    "args.hookContext.type: expected a string, got 2");
	parse_fails("{\"args\": {\"hookContext\": {\"id\": 1, \"type\": \"T\","
		    " \"inputFields\": \"title\"}}}",
	    "args.hookContext.inputFields: expected an array of strings");
	parse_fails("{\"args\": {\"hookContext\": {\"id\": 1, \"type\": \"T\","
		    " \"inputFields\": [\"title\", 1]}}}",
	    "args.hookContext.inputFields[]: expected a string, got 1");
}

static void
test_input__cookie_checked_not_echoed(void **state)
{
	struct s2p_input in;
	struct s2p_error err;
	static const char doc[] =
	    "{\"server_connection\": {\"SessionCookie\""
	    ": {\"Value\": \"abcSECRET\\r\\nX-Evil: 1\"}}}";

	(void)state;
	assert_int_equal(s2p_input_parse(&in, doc, strlen(doc), &err),
	    S2P_EPARSE);
	assert_string_equal(err.msg,
	    "invalid input: server_connection."
	    "SessionCookie.Value: invalid characters");

	/* an empty value is no cookie; null args give an empty object */
	parse_ok(&in,
	    "{\"server_connection\": {\"SessionCookie\": "
	    "{\"Name\": \"session\", \"Value\": \"\"}}, \"args\": null}");
	assert_null(in.session_cookie);
	assert_true(json_is_object(in.args));
	assert_int_equal(json_object_size(in.args), 0);
	assert_null(in.mode);
	assert_null(in.stash_dir);
	s2p_input_free(&in);
	/* Without server_connection we would not know which Stash this is. */
	parse_fails("{}", "server_connection is missing");
	parse_fails("{\"server_connection\": null}",
	    "server_connection is missing");
	parse_ok(&in, "{\"server_connection\": {}}");
	assert_string_equal(in.stash_url, "http://127.0.0.1:9999");
	assert_true(json_is_object(in.args));
	s2p_input_free(&in);
}

static void
test_input__empty_input(void **state)
{
	struct s2p_input in;
	struct s2p_error err;
	int fds[2];

	(void)state;
	parse_fails("", "no input on stdin");
	parse_fails(" \n\t ", "no input on stdin");

	assert_int_equal(pipe(fds), 0);
	close(fds[1]);
	assert_int_equal(s2p_input_read(&in, fds[0], &err), S2P_EPARSE);
	assert_string_equal(err.msg, "no input on stdin");
	close(fds[0]);
	assert_null(in.stash_url);
}

/* Fork a child that writes n bytes of text (padded with spaces) into a pipe
 * and closes it; returns the read end and the child's pid. */
static int
feed(const char *text, size_t n, pid_t *pid)
{
	int fds[2];

	assert_int_equal(pipe(fds), 0);
	*pid = fork();
	assert_true(*pid >= 0);
	if (*pid == 0) {
		char chunk[65536];
		size_t len = strlen(text), off = 0;

		close(fds[0]);
		memset(chunk, ' ', sizeof(chunk));
		if (write(fds[1], text, len) != (ssize_t)len)
			_exit(1);
		off = len;
		while (off < n) {
			size_t k = n - off < sizeof(chunk) ? n - off
							   : sizeof(chunk);
			ssize_t w = write(fds[1], chunk, k);

			if (w <= 0)
				_exit(0); /* reader gave up: expected */
			off += (size_t)w;
		}
		_exit(0);
	}
	close(fds[1]);
	return fds[0];
}

static void
test_input__read_from_pipe(void **state)
{
	struct s2p_input in;
	struct s2p_error err;
	pid_t pid;
	int fd, status;

	(void)state;
	/* a real document, padded to 1 MiB with trailing white space */
	fd = feed(hook_doc, 1024 * 1024, &pid);
	assert_int_equal(s2p_input_read(&in, fd, &err), S2P_OK);
	close(fd);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(in.hook_id, 45);
	assert_string_equal(in.mode, "hook");
	s2p_input_free(&in);
}

/* A cover image in the hook input (megabytes of base64) is dropped before
 * parsing; everything else, escapes included, arrives intact. */
static void
test_input__huge_strings_are_dropped(void **state)
{
	struct s2p_input in;
	struct s2p_error err;
	char *doc, *big;
	size_t n = 300 * 1024;
	pid_t pid;
	int fd, status;

	(void)state;
	big = malloc(n + 1);
	memset(big, 'A', n);
	big[n] = '\0';
	big[1000] = '\\';
	big[1001] = '"'; /* an escaped quote inside the long string */
	doc = s2p_xasprintf(
	    "{\"server_connection\": {\"PluginDir\": \"/p\"},"
	    " \"args\": {\"mode\": \"hook\", \"hookContext\": {\"id\": 9,"
	    " \"type\": \"Scene.Update.Post\", \"input\": {\"id\": \"9\","
	    " \"cover_image\": \"data:image/jpeg;base64,%s\", \"title\":"
	    " \"Say \\\"hi\\\"\"}, \"inputFields\": [\"cover_image\","
	    " \"title\"]}}}",
	    big);
	fd = feed(doc, strlen(doc), &pid);
	assert_int_equal(s2p_input_read(&in, fd, &err), S2P_OK);
	close(fd);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(in.hook_id, 9);
	assert_string_equal(json_string_value(
				json_object_get(in.hook_input, "cover_image")),
	    "");
	assert_string_equal(json_string_value(
				json_object_get(in.hook_input, "title")),
	    "Say \"hi\"");
	assert_true(s2p_input_touches_synced_field(&in));
	s2p_input_free(&in);
	free(doc);
	free(big);
}

static void
test_input__oversized_input_is_an_error(void **state)
{
	struct s2p_input in;
	struct s2p_error err;
	pid_t pid;
	int fd, status;

	(void)state;
	fd = feed("{\"args\": {}}", (size_t)S2P_STDIN_MAX + 1, &pid);
	assert_int_equal(s2p_input_read(&in, fd, &err), S2P_EPARSE);
	close(fd);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_string_equal(err.msg, "input on stdin is larger than 64 MiB");
	assert_null(in.stash_url);
	assert_null(in.args);
	s2p_input_free(&in);
}

static void
test_input__touches_synced_field(void **state)
{
	(void)state;
	/* inputFields decide when present; id/clientMutationId are noise */
	assert_int_equal(
	    touches(
		"{\"hookContext\": {\"id\": 1, \"type\": "
		"\"Scene.Update.Post\", \"input\": {\"id\": \"1\", \"title\": "
		"\"x\"}, \"inputFields\": [\"id\", \"organized\"]}}"),
	    0);
	assert_int_equal(touches("{\"hookContext\": {\"id\": 1, \"type\": "
				 "\"Scene.Update.Post\", \"input\": {}, "
				 "\"inputFields\": "
				 "[\"id\", \"clientMutationId\"]}}"),
	    0);
	assert_int_equal(
	    touches(
		"{\"hookContext\": {\"id\": 1, \"type\": "
		"\"Scene.Update.Post\", \"input\": {}, \"inputFields\": "
		"[\"groups\", \"movies\", \"stash_ids\", \"play_count\"]}}"),
	    0);
	assert_int_equal(touches("{\"hookContext\": {\"id\": 1, \"type\": "
				 "\"Scene.Update.Post\", \"input\": {}, "
				 "\"inputFields\": "
				 "[\"organized\", \"primary_file_id\"]}}"),
	    1);
	/* inputFields wins even when the value was set to null */
	assert_int_equal(
	    touches("{\"hookContext\": {\"id\": 1, \"type\": "
		    "\"Scene.Update.Post\", \"input\": {\"id\": \"1\", "
		    "\"rating100\": null}, \"inputFields\": [\"id\", "
		    "\"rating100\"]}}"),
	    1);

	/* without inputFields: non-null keys */
	assert_int_equal(touches("{\"hookContext\": {\"id\": 1, \"type\": "
				 "\"Scene.Update.Post\", \"input\": {\"id\": "
				 "\"1\", \"title\": "
				 "null, \"organized\": true}}}"),
	    0);
	assert_int_equal(touches("{\"hookContext\": {\"id\": 1, \"type\": "
				 "\"Scene.Update.Post\", \"input\": {\"id\": "
				 "\"1\", "
				 "\"studio_id\": \"4\"}}}"),
	    1);

	/* bulkSceneUpdate: {ids, mode} objects are present fields */
	assert_int_equal(
	    touches(
		"{\"hookContext\": {\"id\": 1, \"type\": "
		"\"Scene.Update.Post\", \"input\": {\"ids\": [\"1\", \"2\"], "
		"\"tag_ids\": {\"ids\": [\"3\"], \"mode\": \"ADD\"}}}}"),
	    1);
	assert_int_equal(
	    touches(
		"{\"hookContext\": {\"id\": 1, \"type\": "
		"\"Scene.Update.Post\", \"input\": {\"ids\": [\"1\", \"2\"], "
		"\"performer_ids\": {\"ids\": [], \"mode\": \"SET\"}}}}"),
	    1);
	assert_int_equal(touches("{\"hookContext\": {\"id\": 1, \"type\": "
				 "\"Scene.Update.Post\", \"input\": {\"ids\": "
				 "[\"1\", \"2\"], "
				 "\"organized\": true, \"tag_ids\": null}}}"),
	    0);

	/* scenesUpdate: the whole array; this scene's element decides */
	assert_int_equal(touches(
			     "{\"hookContext\": {\"id\": 2, \"type\": "
			     "\"Scene.Update.Post\", \"input\": [{\"id\": "
			     "\"1\", \"title\": "
			     "\"x\"}, {\"id\": \"2\", \"organized\": true}]}}"),
	    0);
	assert_int_equal(touches(
			     "{\"hookContext\": {\"id\": 1, \"type\": "
			     "\"Scene.Update.Post\", \"input\": [{\"id\": "
			     "\"1\", \"title\": "
			     "\"x\"}, {\"id\": \"2\", \"organized\": true}]}}"),
	    1);
	assert_int_equal(touches(
			     "{\"hookContext\": {\"id\": 9, \"type\": "
			     "\"Scene.Update.Post\", \"input\": [{\"id\": "
			     "\"1\", \"title\": "
			     "\"x\"}, {\"id\": \"2\", \"organized\": true}]}}"),
	    1);

	/* Tag.Destroy.Post from tagsDestroy: an array of ID strings */
	assert_int_equal(touches("{\"hookContext\": {\"id\": 3, \"type\": "
				 "\"Tag.Destroy.Post\", \"input\": [\"3\", "
				 "\"4\"]}}"),
	    0);
	/* not a hook at all */
	assert_int_equal(touches("{\"mode\": \"all\"}"), 0);
	assert_int_equal(s2p_input_touches_synced_field(NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_input__task_example),
	    cmocka_unit_test(test_input__hook_example),
	    cmocka_unit_test(test_input__scan_create_input_null),
	    cmocka_unit_test(test_input__destroy_hook),
	    cmocka_unit_test(test_input__host_and_port_mapping),
	    cmocka_unit_test(test_input__go_escapes_and_surrogates),
	    cmocka_unit_test(test_input__invalid_json),
	    cmocka_unit_test(test_input__non_object_root),
	    cmocka_unit_test(test_input__wrong_types),
	    cmocka_unit_test(test_input__cookie_checked_not_echoed),
	    cmocka_unit_test(test_input__empty_input),
	    cmocka_unit_test(test_input__read_from_pipe),
	    cmocka_unit_test(test_input__huge_strings_are_dropped),
	    cmocka_unit_test(test_input__oversized_input_is_an_error),
	    cmocka_unit_test(test_input__touches_synced_field),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
