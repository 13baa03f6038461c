/*
 * selfexe.c - watch the running program's own file (see selfexe.h).
 */
#include "selfexe.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xalloc.h"

void
s2p_exe_watch_init(struct s2p_exe_watch *w)
{
	char buf[4096];
	struct stat sb;
	ssize_t n;

	memset(w, 0, sizeof(*w));
	/* stat() through the magic link reaches the inode we run from, even
	 * when its name is already gone. */
	if (stat("/proc/self/exe", &sb) != 0)
		return;
	n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	if (n <= 0)
		return;
	buf[n] = '\0';
	w->path = s2p_xstrdup(buf);
	w->dev = sb.st_dev;
	w->ino = sb.st_ino;
	w->size = sb.st_size;
	w->mtime = sb.st_mtim;
}

void
s2p_exe_watch_free(struct s2p_exe_watch *w)
{
	free(w->path);
	memset(w, 0, sizeof(*w));
}

int
s2p_exe_replaced(const struct s2p_exe_watch *w)
{
	struct stat sb;

	if (w->path == NULL)
		return 0;
	/* An unlinked program reads back as "<path> (deleted)", which
	 * normally does not exist either. */
	if (stat(w->path, &sb) != 0)
		return errno == ENOENT || errno == ENOTDIR;
	return sb.st_dev != w->dev || sb.st_ino != w->ino ||
	    sb.st_size != w->size || sb.st_mtim.tv_sec != w->mtime.tv_sec ||
	    sb.st_mtim.tv_nsec != w->mtime.tv_nsec;
}
