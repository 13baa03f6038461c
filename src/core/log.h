/*
 * log.h - the process-wide logger.
 *
 * In plugin mode each line goes to stderr as one write() with Stash's
 * "\x01<level>\x02" prefix; on the CLI it is "LEVEL: message". A detached
 * background worker (whose stderr Stash cannot see) logs to a size-capped,
 * rotated file in the data directory instead. Registered secrets are masked
 * in every line before it leaves the process, whatever the caller formatted.
 */
#ifndef S2P_LOG_H
#define S2P_LOG_H

#include <stddef.h>

#include "compat.h"

enum s2p_log_level {
	S2P_LOG_TRACE,
	S2P_LOG_DEBUG,
	S2P_LOG_INFO,
	S2P_LOG_WARN,
	S2P_LOG_ERROR,
};

enum s2p_log_format {
	S2P_LOGFMT_STASH, /* \x01 level \x02 message */
	S2P_LOGFMT_PLAIN, /* "INFO: message" */
};

struct s2p_log_opts {
	enum s2p_log_format format;
	int to_stderr;          /* write lines to fd 2 */
	const char *file;       /* also append to this file (NULL: none) */
	size_t file_max;        /* rotate to <file>.1 beyond this size */
	enum s2p_log_level min; /* drop lines below this level */
};

/* Configure the logger. Safe to call again to reconfigure. */
void s2p_log_open(const struct s2p_log_opts *opts);
void s2p_log_close(void);
/* Mask every later occurrence of s (copied; strings under 4 bytes ignored). */
void s2p_log_secret(const char *s);
/* Apply the registered masks to s in place-safe copy; caller frees result. */
char *s2p_log_redact(const char *s);

/* Show debug lines at info level with a "[DEBUG] " prefix (Stash hides
 * debug-level plugin lines by default). */
void s2p_log_debug_as_info(int on);

void s2p_log(enum s2p_log_level lvl, const char *fmt, ...) S2P_PRINTF(2, 3);
/* Task progress as a 0..1 fraction (Stash's 'p' level). No-op off Stash. */
void s2p_log_progress(double fraction);

#define s2p_trace(...) s2p_log(S2P_LOG_TRACE, __VA_ARGS__)
#define s2p_debug(...) s2p_log(S2P_LOG_DEBUG, __VA_ARGS__)
#define s2p_info(...) s2p_log(S2P_LOG_INFO, __VA_ARGS__)
#define s2p_warn(...) s2p_log(S2P_LOG_WARN, __VA_ARGS__)
#define s2p_errorf(...) s2p_log(S2P_LOG_ERROR, __VA_ARGS__)

/* Longest line we emit, prefix included (Stash's scanner dies at 64 KiB). */
#define S2P_LOG_LINE_MAX 8192

#endif
