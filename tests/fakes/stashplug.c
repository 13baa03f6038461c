/*
 * stashplug.c - run a raw plugin as Stash does (see stashplug.h).
 */
#include "stashplug.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/xalloc.h"

/* Write all of s to fd (the child's stdin), then close it. */
static void
feed(int fd, const char *s)
{
	size_t len = strlen(s), off = 0;

	while (off < len) {
		ssize_t w = write(fd, s + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	close(fd);
}

/* Fork exec with pipes; stdout read to EOF into out. The child's stderr
 * (the plugin's log) goes to ours, as Stash logs it. */
static int
run(const char *exec, const char *input, struct s2p_buf *out, int *status)
{
	int in[2], op[2];
	char chunk[4096];
	ssize_t n;
	pid_t pid;

	if (pipe(in) != 0)
		return -1;
	if (pipe(op) != 0) {
		close(in[0]);
		close(in[1]);
		return -1;
	}
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(op[1], 1);
		close(in[0]);
		close(in[1]);
		close(op[0]);
		close(op[1]);
		signal(SIGPIPE, SIG_DFL);
		execl(exec, exec, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(op[1]);
	feed(in[1], input);
	while ((n = read(op[0], chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		(void)!s2p_buf_add(out, chunk, (size_t)n);
	}
	close(op[0]);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	return 0;
}

int
fake_plugin_run(const char *exec, const char *input, json_t **output,
    char **error)
{
	struct s2p_buf out;
	json_t *doc, *err;
	int status = 0;

	*output = NULL;
	*error = NULL;
	s2p_buf_init(&out, 0);
	if (run(exec, input, &out, &status) != 0) {
		*error = s2p_xasprintf("error running plugin: %s",
		    strerror(errno));
		s2p_buf_free(&out);
		return -1;
	}
	doc = json_loadb(out.data ? out.data : "", out.len, 0, NULL);
	if (!json_is_object(doc)) {
		/* Stash: the whole text is the output. */
		json_decref(doc);
		*output = json_stringn(out.data ? out.data : "", out.len);
		s2p_buf_free(&out);
		return 0;
	}
	err = json_object_get(doc, "error");
	if (json_is_string(err)) {
		*error = s2p_xstrdup(json_string_value(err));
	} else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
		*error = s2p_xasprintf("exit status %d", WEXITSTATUS(status));
	} else {
		*output = json_incref(json_object_get(doc, "output"));
		if (*output == NULL)
			*output = json_null();
	}
	json_decref(doc);
	s2p_buf_free(&out);
	return *error != NULL ? -1 : 0;
}
