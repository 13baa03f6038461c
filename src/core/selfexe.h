/*
 * selfexe.h - "has my own program file been replaced?" A long-lived worker
 * notes which file it was started from (/proc/self/exe: path, device, inode,
 * size, modification time) and later compares the file now at that path.
 * An upgrade or uninstall deletes the old file and writes a new one (a new
 * inode), which this sees; a running binary cannot be rewritten in place
 * (ETXTBSY). Without /proc the watch is inert and never reports a change.
 */
#ifndef S2P_SELFEXE_H
#define S2P_SELFEXE_H

#include <sys/types.h>
#include <time.h>

struct s2p_exe_watch {
	char *path; /* NULL: nothing to watch */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

/* Record the running program's file. Never fails: an unknown file makes an
 * inert watch. Free with s2p_exe_watch_free. */
void s2p_exe_watch_init(struct s2p_exe_watch *w);
void s2p_exe_watch_free(struct s2p_exe_watch *w);
/* 1 when the file at the recorded path is gone or is another file. */
int s2p_exe_replaced(const struct s2p_exe_watch *w);

#endif
