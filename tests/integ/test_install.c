/*
 * test_install.c - the package, installed and upgraded the way Stash's
 * package manager does it (pkg/pkg in stashapp/stash, facts only): a plugin
 * source (index.yml + zip, built by scripts/dist.sh from build/static) is
 * served over loopback HTTP; the index and the zip are fetched, the zip's
 * sha256 is checked against the index, every entry is written with the mode
 * recorded in the zip to <plugins>/<source>/Stash2Plex/, and the installed
 * files are listed in a "manifest" file. An upgrade deletes exactly the
 * files the old manifest lists, then unpacks the new zip; uninstalling
 * deletes them and tries to remove the folder. The installed plugin is run
 * through its own manifest (exec read from the installed Stash2Plex.yml and
 * resolved as Stash resolves it) against fake Stash and fake Plex. Also:
 * a database from an older program migrates forward with its jobs, one from
 * a newer program is refused with a clear error and left alone.
 * Skips (77) without a static binary for this machine's CPU.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "harness.h"
#include "core/buf.h"
#include "core/xalloc.h"
#include "store/db.h"

#define SCENES 12
#define SOURCE "s2p-source"
/* A resident worker goes back to waiting after this many idle seconds
 * (RESIDENT_RUN_IDLE in src/app/spawn.c). */
#define RESIDENT_IDLE 10

static const char *const arches[] = {"x86_64", "aarch64", "armv7"};
static char host_arch[80];
static char packaged[64]; /* the arches found in build/static */

/* ---- a static file server for the plugin source ---------------------- */

static char www_root[512];

static enum MHD_Result
serve(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *data, size_t *data_len, void **con_cls)
{
	struct MHD_Response *r;
	struct stat sb;
	char path[1024];
	enum MHD_Result ret;
	int fd, code = MHD_HTTP_OK;

	(void)cls;
	(void)version;
	(void)data;
	(void)data_len;
	(void)con_cls;
	snprintf(path, sizeof(path), "%s%s", www_root, url);
	if (strcmp(method, "GET") != 0 || strstr(url, "..") != NULL ||
	    (fd = open(path, O_RDONLY)) < 0) {
		r = MHD_create_response_from_buffer(9, (void *)"not found",
		    MHD_RESPMEM_PERSISTENT);
		code = MHD_HTTP_NOT_FOUND;
	} else {
		fstat(fd, &sb);
		r = MHD_create_response_from_fd((uint64_t)sb.st_size, fd);
	}
	ret = MHD_queue_response(c, (unsigned)code, r);
	MHD_destroy_response(r);
	return ret;
}

static size_t
on_body(char *p, size_t sz, size_t n, void *u)
{
	return s2p_buf_add(u, p, sz * n) == 0 ? sz * n : 0;
}

/* GET url into b; HTTP status (0 on transport failure). */
static long
fetch(const char *url, struct s2p_buf *b)
{
	CURL *c = curl_easy_init();
	long status = 0;

	s2p_buf_init(b, 256 * 1024 * 1024);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	return status;
}

/* ---- small file helpers -------------------------------------------- */

static void
write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static char *
read_text(const char *path)
{
	struct s2p_buf b;
	int fd = open(path, O_RDONLY);

	s2p_buf_init(&b, 64 * 1024 * 1024);
	if (fd >= 0) {
		assert_int_equal(s2p_buf_read_fd(&b, fd), 0);
		close(fd);
	}
	return s2p_buf_take(&b);
}

static int
run_cmd(const char *cmd)
{
	int st = system(cmd);

	if (st != 0)
		fprintf(stderr, "command failed (%d): %s\n", st, cmd);
	return st;
}

/* sha256 of a file as 64 hex digits (sha256sum). */
static void
sha256_file(const char *path, char out[65])
{
	char *cmd = s2p_xasprintf("sha256sum '%s'", path);
	FILE *p = popen(cmd, "r");

	assert_non_null(p);
	assert_int_equal(fscanf(p, "%64s", out), 1);
	pclose(p);
	free(cmd);
}

/* ---- index.yml: the fields of our one package ------------------------- */

struct pkg {
	char id[64], version[64], date[64], path[256], sha256[65];
};

/* Value of "  key: value" (quotes dropped) in the package entry. */
static void
yaml_field(const char *text, const char *key, char *out, size_t len)
{
	char pat[64];
	const char *p, *e;

	snprintf(pat, sizeof(pat), "\n  %s: ", key);
	p = strstr(text, pat);
	if (p == NULL && strncmp(key, "id", 2) == 0)
		p = strstr(text, "\n- id: ");
	assert_non_null(p);
	p = strchr(p + 1, ':') + 2;
	e = strchr(p, '\n');
	if (*p == '"') {
		p++;
		e = strchr(p, '"');
	}
	snprintf(out, len, "%.*s", (int)(e - p), p);
}

static void
parse_index(const char *text, struct pkg *pk)
{
	yaml_field(text, "id", pk->id, sizeof(pk->id));
	yaml_field(text, "version", pk->version, sizeof(pk->version));
	yaml_field(text, "date", pk->date, sizeof(pk->date));
	yaml_field(text, "path", pk->path, sizeof(pk->path));
	yaml_field(text, "sha256", pk->sha256, sizeof(pk->sha256));
	assert_string_equal(pk->id, "Stash2Plex");
	assert_int_equal(strlen(pk->sha256), 64);
	assert_non_null(strstr(text, "  requires: []"));
	assert_non_null(strstr(text, "  metadata:\n    description: "));
}

/* ---- the zip, read the way Go's archive/zip reads it ------------------ */

struct entry {
	char name[256];
	unsigned mode; /* permission bits, as FileHeader.Mode() gives them */
	int unix_creator;
	unsigned char *data;
	size_t len;
};

static unsigned
u16(const unsigned char *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static unsigned long
u32(const unsigned char *p)
{
	return (unsigned long)u16(p) | (unsigned long)u16(p + 2) << 16;
}

/* Parse zip (len bytes) into v (at most max entries); returns the count.
 * Stored and deflated entries; every CRC is checked. */
static int
unzip_mem(const unsigned char *zip, size_t len, struct entry *v, int max)
{
	const unsigned char *eocd = NULL, *p;
	unsigned long cd_off;
	unsigned n, i;
	size_t k;

	for (k = len - 22; k + 1 > 0 && len >= 22; k--)
		if (u32(zip + k) == 0x06054b50UL) {
			eocd = zip + k;
			break;
		}
	assert_non_null(eocd);
	n = u16(eocd + 10);
	cd_off = u32(eocd + 16);
	assert_true(n <= (unsigned)max && cd_off < len);
	p = zip + cd_off;
	for (i = 0; i < n; i++) {
		struct entry *e = &v[i];
		unsigned made = u16(p + 4), method = u16(p + 10);
		unsigned long crc = u32(p + 16), csize = u32(p + 20);
		unsigned long usize = u32(p + 24), ext = u32(p + 38);
		unsigned nl = u16(p + 28), xl = u16(p + 30), cl = u16(p + 32);
		const unsigned char *lh = zip + u32(p + 42), *data;

		assert_int_equal(u32(p), 0x02014b50UL);
		assert_true(nl < sizeof(e->name));
		memset(e, 0, sizeof(*e));
		memcpy(e->name, p + 46, nl);
		/* Go: a Unix (3) or macOS (19) creator means the high 16 bits
		 * of the external attributes are the Unix mode; otherwise
		 * MS-DOS rules give 0666, or 0444 when read-only. */
		e->unix_creator = (made >> 8) == 3 || (made >> 8) == 19;
		if (e->unix_creator)
			e->mode = (unsigned)(ext >> 16) & 07777;
		else
			e->mode = (ext & 1) ? 0444 : 0666;
		assert_int_equal(u32(lh), 0x04034b50UL);
		data = lh + 30 + u16(lh + 26) + u16(lh + 28);
		e->len = usize;
		e->data = s2p_xmalloc(usize + 1);
		if (method == 0) {
			assert_int_equal(csize, usize);
			memcpy(e->data, data, usize);
		} else {
			z_stream z;

			assert_int_equal(method, 8);
			memset(&z, 0, sizeof(z));
			assert_int_equal(inflateInit2(&z, -MAX_WBITS), Z_OK);
			z.next_in = (unsigned char *)data;
			z.avail_in = (uInt)csize;
			z.next_out = e->data;
			z.avail_out = (uInt)usize;
			assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
			assert_int_equal(z.total_out, usize);
			inflateEnd(&z);
		}
		assert_int_equal(crc32(0L, e->data, (uInt)usize), crc);
		p += 46 + nl + xl + cl;
	}
	return (int)n;
}

static void
free_entries(struct entry *v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(v[i].data);
}

/* What the zip must hold: exactly these files, these modes. */
static void
check_zip(struct entry *v, int n)
{
	char want[16][64];
	int nw = 0, i, j, yml = 0;
	size_t a;

	snprintf(want[nw++], 64, "Stash2Plex.yml");
	snprintf(want[nw++], 64, "stash2plex");
	snprintf(want[nw++], 64, "README.md");
	snprintf(want[nw++], 64, "LICENSE");
	snprintf(want[nw++], 64, "THIRD-PARTY");
	snprintf(want[nw++], 64, "ui/stash2plex.js");
	snprintf(want[nw++], 64, "ui/stash2plex.css");
	/* The full licence texts come with the static binaries that
	 * `make static` built beside them. */
	{
		char *lic = s2p_xasprintf("%s/LICENSES.txt", S2P_STATIC_DIR);

		if (access(lic, R_OK) == 0)
			snprintf(want[nw++], 64, "LICENSES.txt");
		free(lic);
	}
	for (a = 0; a < sizeof(arches) / sizeof(arches[0]); a++)
		if (strstr(packaged, arches[a]) != NULL)
			snprintf(want[nw++], 64, "bin/stash2plex-%s",
			    arches[a]);
	assert_int_equal(n, nw);
	for (i = 0; i < n; i++) {
		int found = 0, exec;
		size_t l = strlen(v[i].name);

		printf("  %04o %8zu %s\n", v[i].mode, v[i].len, v[i].name);
		for (j = 0; j < nw; j++)
			found |= strcmp(want[j], v[i].name) == 0;
		if (!found)
			fprintf(stderr, "unexpected zip entry %s\n", v[i].name);
		assert_true(found);
		assert_true(v[i].unix_creator);
		if (l >= 4 && strcmp(v[i].name + l - 4, ".yml") == 0)
			yml++;
		exec = strncmp(v[i].name, "bin/", 4) == 0 ||
		    strcmp(v[i].name, "stash2plex") == 0;
		assert_int_equal(v[i].mode, exec ? 0755u : 0644u);
	}
	assert_int_equal(yml, 1);
}

/* ---- Stash's package store, emulated --------------------------------- */

struct store {
	char plugins[512]; /* <plugins_path> */
	char pkgdir[600];  /* <plugins>/<source>/Stash2Plex */
};

/* Delete the files the installed manifest lists, then the manifest. */
static void
delete_package_files(struct store *s)
{
	char mpath[700], *m, *line, *save = NULL;
	int in_files = 0;

	snprintf(mpath, sizeof(mpath), "%s/manifest", s->pkgdir);
	m = read_text(mpath);
	assert_true(m[0] != '\0');
	for (line = strtok_r(m, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strcmp(line, "files:") == 0) {
			in_files = 1;
			continue;
		}
		if (in_files && strncmp(line, "- ", 2) == 0) {
			char p[900];

			snprintf(p, sizeof(p), "%s/%s", s->pkgdir, line + 2);
			(void)unlink(p); /* errors ignored, as Stash does */
		} else {
			in_files = 0;
		}
	}
	free(m);
	assert_int_equal(unlink(mpath), 0);
}

/* Install (or upgrade: an existing manifest's files go first). */
static void
install_zip(struct store *s, const struct pkg *pk, struct entry *v, int n,
    const char *source_url)
{
	struct s2p_buf man;
	char mpath[700], *manifest;
	struct stat sb;
	int i;

	snprintf(mpath, sizeof(mpath), "%s/manifest", s->pkgdir);
	if (stat(mpath, &sb) == 0)
		delete_package_files(s);
	s2p_buf_init(&man, 0);
	(void)!s2p_buf_addf(&man,
	    "id: %s\nname: Stash2Plex\nmetadata: {}\nversion: %s\n"
	    "date: \"%s\"\nrequires: []\nsource_repository: %s\nfiles:\n",
	    pk->id, pk->version, pk->date, source_url);
	for (i = 0; i < n; i++) {
		char path[900], *cmd;

		/* filepath.Clean + Join: a name climbing out would escape
		 * the folder; our zip has none. */
		assert_null(strstr(v[i].name, ".."));
		assert_true(v[i].name[0] != '/');
		snprintf(path, sizeof(path), "%s/%s", s->pkgdir, v[i].name);
		cmd = s2p_xasprintf("mkdir -p \"$(dirname '%s')\"", path);
		assert_int_equal(run_cmd(cmd), 0);
		free(cmd);
		/* os.OpenFile(O_WRONLY|O_CREATE|O_TRUNC, mode): the mode
		 * (minus umask) applies to a new file. */
		write_file(path, v[i].data, v[i].len, (mode_t)v[i].mode);
		(void)!s2p_buf_addf(&man, "- %s\n", v[i].name);
	}
	manifest = s2p_buf_take(&man);
	write_file(mpath, manifest, strlen(manifest), 0644);
	free(manifest);
}

/* Fetch index.yml and the zip it names from the source; check the sha256
 * the way Stash does. Returns the entries (n in *n). */
static struct entry *
download(const char *index_url, struct pkg *pk, int *n, const char *tmp)
{
	struct s2p_buf b;
	struct entry *v = s2p_xcalloc(32, sizeof(*v));
	char url[1024], zpath[600], sha[65], *idx, *slash;

	assert_int_equal(fetch(index_url, &b), 200);
	idx = s2p_buf_take(&b);
	parse_index(idx, pk);
	free(idx);
	/* A relative path is resolved against the index URL's folder. */
	snprintf(url, sizeof(url), "%s", index_url);
	slash = strrchr(url, '/');
	snprintf(slash + 1, sizeof(url) - (size_t)(slash + 1 - url), "%s",
	    pk->path);
	assert_int_equal(fetch(url, &b), 200);
	snprintf(zpath, sizeof(zpath), "%s/download.zip", tmp);
	write_file(zpath, b.data, b.len, 0600);
	sha256_file(zpath, sha);
	assert_string_equal(sha, pk->sha256);
	/* The check can fail: one flipped byte gives another digest. */
	b.data[b.len / 2] ^= 1;
	write_file(zpath, b.data, b.len, 0600);
	sha256_file(zpath, sha);
	assert_string_not_equal(sha, pk->sha256);
	b.data[b.len / 2] ^= 1;
	*n = unzip_mem((unsigned char *)b.data, b.len, v, 32);
	s2p_buf_free(&b);
	return v;
}

/* ---- running the installed plugin through its manifest ---------------- */

/* exec from the installed Stash2Plex.yml, resolved as Stash does: exec[0]
 * found on PATH wins, else it is the file next to the .yml; {pluginDir} is
 * replaced in the other elements. argv is NULL-terminated; free each. */
static void
manifest_exec(const struct store *s, char **argv, int max)
{
	char ypath[700], *y, *p;
	int n = 0;

	snprintf(ypath, sizeof(ypath), "%s/Stash2Plex.yml", s->pkgdir);
	y = read_text(ypath);
	p = strstr(y, "\nexec:\n");
	assert_non_null(p);
	p += 7;
	while (strncmp(p, "  - ", 4) == 0 && n < max - 1) {
		char *e = strchr(p, '\n'), *val, *ph;

		val = s2p_xstrndup(p + 4, (size_t)(e - p - 4));
		ph = strstr(val, "{pluginDir}");
		if (n > 0 && ph != NULL) {
			char *r = s2p_xasprintf("%.*s%s%s", (int)(ph - val),
			    val, s->pkgdir, ph + 11);

			free(val);
			val = r;
		}
		argv[n++] = val;
		p = e + 1;
	}
	argv[n] = NULL;
	assert_true(n >= 1);
	if (strchr(argv[0], '/') == NULL) {
		char *cmd = s2p_xasprintf("command -v '%s' >/dev/null",
		    argv[0]);
		char *abs;

		/* Nothing of that name may be on Stash's PATH. */
		assert_int_not_equal(system(cmd), 0);
		free(cmd);
		abs = s2p_xasprintf("%s/%s", s->pkgdir, argv[0]);
		free(argv[0]);
		argv[0] = abs;
	}
	free(y);
}

/* Run the installed plugin with {"server_connection", "args": args}. */
static void
run_installed(struct h_env *e, const struct store *s, const char *args,
    const char *const *env, struct h_run *r)
{
	char *argv[16], in[600], out[600], err[600], *doc;
	pid_t pid;
	int st = 0, i;
	double t0;

	manifest_exec(s, argv, 16);
	snprintf(in, sizeof(in), "%s/inst.in", e->dir);
	snprintf(out, sizeof(out), "%s/inst.out", e->dir);
	snprintf(err, sizeof(err), "%s/inst.err", e->dir);
	doc = s2p_xasprintf(
	    "{\"server_connection\": {\"Scheme\": \"http\", "
	    "\"Host\": \"0.0.0.0\", \"Port\": %d, \"SessionCookie\": "
	    "{\"Name\": \"session\", \"Value\": \"sess-cookie-77e1\", "
	    "\"Path\": \"\", \"MaxAge\": 0}, \"Dir\": \"%s\", \"PluginDir\": "
	    "\"%s\"}, \"args\": %s}",
	    e->stash_port, e->dir, s->pkgdir, args);
	write_file(in, doc, strlen(doc), 0600);
	free(doc);
	t0 = h_mono();
	pid = fork();
	if (pid == 0) {
		dup2(open(in, O_RDONLY), 0);
		dup2(open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600), 1);
		dup2(open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600), 2);
		for (i = 0; env && env[i]; i++)
			putenv((char *)env[i]);
		execv(argv[0], argv);
		_exit(127);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	memset(r, 0, sizeof(*r));
	r->ms = (h_mono() - t0) * 1000;
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	r->out = read_text(out);
	r->err = read_text(err);
	for (i = 0; argv[i]; i++)
		free(argv[i]);
}

static void
run_ok(struct h_env *e, const struct store *s, const char *args,
    const char *const *env, const char *want)
{
	struct h_run r;

	run_installed(e, s, args, env, &r);
	if (r.status != 0 || strstr(r.out, want) == NULL)
		fprintf(stderr, "args %s\nstatus %d\nstdout: %s\nstderr: %s\n",
		    args, r.status, r.out, r.err);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "{\"output\":"));
	assert_non_null(strstr(r.out, want));
	h_run_free(&r);
}

static char *
hook_args(int id)
{
	return s2p_xasprintf("{\"mode\": \"hook\", \"hookContext\": {\"id\": "
			     "%d, \"type\": \"Scene.Update.Post\", \"input\": "
			     "{\"id\": \"%d\", \"title\": \"x\"}, "
			     "\"inputFields\": [\"id\", \"title\"]}}",
	    id, id);
}

/* First column of the first row of sql on the installed plugin's DB. */
static long
db_long(const struct store *s, const char *sql)
{
	char path[700];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long v = -1;

	snprintf(path, sizeof(path), "%s/data/stash2plex.db", s->pkgdir);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) ==
		SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* Wait until no worker holds the installed plugin's lock. */
static void
wait_worker(const struct store *s)
{
	char path[700];
	double end = h_mono() + 30;

	snprintf(path, sizeof(path), "%s/data/worker.lock", s->pkgdir);
	for (;;) {
		int fd = open(path, O_RDWR), free_now;

		if (fd < 0)
			return;
		free_now = flock(fd, LOCK_EX | LOCK_NB) == 0;
		close(fd);
		if (free_now)
			return;
		assert_true(h_mono() < end);
		h_sleep(0.05);
	}
}

static int
lock_held(const char *path)
{
	int fd = open(path, O_RDWR), held;

	if (fd < 0)
		return 0;
	held = flock(fd, LOCK_EX | LOCK_NB) != 0;
	close(fd);
	return held;
}

/* Wait until the installed plugin's queue is empty. */
static void
wait_jobs_done(const struct store *s)
{
	double end = h_mono() + 60;

	while (db_long(s, "SELECT count(*) FROM job") != 0) {
		assert_true(h_mono() < end);
		h_sleep(0.1);
	}
}

static int
is_elf(const char *path)
{
	char *t = read_text(path);
	int elf = memcmp(t, "\177ELF", 4) == 0;

	free(t);
	return elf;
}

/* Build a package from build/static with scripts/dist.sh. The UI
 * plugin's two files are stand-ins (the package's layout is what is
 * tested here; ui/browser tests the real ones). */
static void
make_package(const char *out, const char *version, const char *date)
{
	char *cmd =
	    s2p_xasprintf("mkdir -p '%s/ui-build' && "
			  "echo '/* ui */' >'%s/ui-build/stash2plex.js' && "
			  "echo '/* ui */' >'%s/ui-build/stash2plex.css' && "
			  "'%s/scripts/dist.sh' --static '%s' "
			  "--arches '%s' --allow-dynamic --out '%s' "
			  "--ui '%s/ui-build' "
			  "--version %s --date '%s' >/dev/null",
		out, out, out, S2P_SOURCE_DIR, S2P_STATIC_DIR, packaged, out,
		out, version, date);

	assert_int_equal(run_cmd(cmd), 0);
	free(cmd);
}

static void
test_install__source_install_upgrade_uninstall(void **state)
{
	static const char *const quick[] = {"STASH2PLEX_IDLE_EXIT=0.3", NULL};
	static const char *const hold[] = {"STASH2PLEX_AUTODRAIN=0", NULL};
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *di;
	struct h_env e;
	struct store s;
	struct pkg v1, v2;
	struct entry *ent;
	struct s2p_db *db = NULL;
	char url[256], path[900], *a, *t;
	int n, i, port;
	struct stat sb;
	struct sockaddr_in sa;

	(void)state;
	assert_int_equal(h_start(&e, SCENES, 5, NULL, NULL), 0);
	/* Two releases, the second one newer. */
	snprintf(path, sizeof(path), "%s/www1", e.dir);
	make_package(path, "0.1.0", "2026-01-01 10:00:00");
	snprintf(path, sizeof(path), "%s/www2", e.dir);
	make_package(path, "0.2.0", "2026-02-01 10:00:00");
	snprintf(www_root, sizeof(www_root), "%s/www1", e.dir);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
	    serve, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	    MHD_OPTION_END);
	assert_non_null(d);
	di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	port = di->port;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/index.yml", port);

	memset(&s, 0, sizeof(s));
	snprintf(s.plugins, sizeof(s.plugins), "%s/plugins", e.dir);
	snprintf(s.pkgdir, sizeof(s.pkgdir), "%s/%s/Stash2Plex", s.plugins,
	    SOURCE);

	/* A database an older Stash2Plex left (schema 1) with a job. */
	snprintf(path, sizeof(path), "mkdir -p '%s/data'", s.pkgdir);
	assert_int_equal(run_cmd(path), 0);
	snprintf(path, sizeof(path), "%s/data/stash2plex.db", s.pkgdir);
	assert_int_equal(s2p_db_open_at(&db, path, 1, NULL), 0);
	assert_int_equal(s2p_db_exec(db,
			     "INSERT INTO job (scene_id, state, not_before,"
			     " enqueued_at, updated_at, reason) VALUES"
			     " (7, 'pending', 0, 0, 0, 'hook')",
			     NULL),
	    0);
	s2p_db_close(db);

	/* Install 0.1.0 from the source. */
	printf("0.1.0 package (%s):\n", packaged);
	ent = download(url, &v1, &n, e.dir);
	assert_string_equal(v1.version, "0.1.0");
	check_zip(ent, n);
	install_zip(&s, &v1, ent, n, url);
	free_entries(ent, n);
	free(ent);
	snprintf(path, sizeof(path), "%s/stash2plex", s.pkgdir);
	assert_false(is_elf(path)); /* the launcher, before its first run */

	/* A hook through the manifest, then the tasks. */
	h_post(e.stash_ctl, "/scene/3", "{\"title\": \"Installed title\"}");
	a = hook_args(3);
	run_ok(&e, &s, a, quick, "queued scene 3");
	free(a);
	assert_true(is_elf(path)); /* the launcher stepped aside */
	run_ok(&e, &s, "{\"mode\": \"health_check\"}", quick, "");
	wait_worker(&s);
	/* The old database was migrated forward and its job drained. */
	assert_int_equal(db_long(&s, "PRAGMA user_version"),
	    s2p_db_schema_version());
	assert_int_equal(db_long(&s, "SELECT count(*) FROM job"), 0);
	assert_int_equal(db_long(&s,
			     "SELECT count(*) FROM sync_state "
			     "WHERE scene_id IN (3, 7)"),
	    2);
	run_ok(&e, &s, "{\"mode\": \"all\"}", quick, "");
	run_ok(&e, &s, "{\"mode\": \"process_queue\"}", quick, "");
	wait_worker(&s);
	assert_int_equal(h_unsynced(&e, 0), 0);

	/* Jobs waiting when the upgrade comes, and a file of the user's. */
	for (i = 1; i <= 5; i++) {
		char p[32], body[64];

		snprintf(p, sizeof(p), "/scene/%d", i);
		snprintf(body, sizeof(body),
		    "{\"title\": \"Before upgrade %d\"}", i);
		assert_int_equal(h_post(e.stash_ctl, p, body), 200);
		a = hook_args(i);
		run_ok(&e, &s, a, hold, "queued scene");
		free(a);
	}
	assert_int_equal(db_long(&s, "SELECT count(*) FROM job"), 5);
	snprintf(path, sizeof(path), "%s/notes.txt", s.pkgdir);
	write_file(path, "mine\n", 5, 0644);

	/* Upgrade to 0.2.0: the source now offers a newer date. */
	snprintf(www_root, sizeof(www_root), "%s/www2", e.dir);
	ent = download(url, &v2, &n, e.dir);
	assert_string_equal(v2.version, "0.2.0");
	assert_true(strcmp(v2.date, v1.date) > 0);
	install_zip(&s, &v2, ent, n, url);
	free_entries(ent, n);
	free(ent);
	assert_int_equal(db_long(&s, "SELECT count(*) FROM job"), 5);
	assert_int_equal(stat(path, &sb), 0);
	snprintf(path, sizeof(path), "%s/stash2plex", s.pkgdir);
	assert_false(is_elf(path)); /* the new launcher */
	snprintf(path, sizeof(path), "%s/Stash2Plex.yml", s.pkgdir);
	t = read_text(path);
	assert_non_null(strstr(t, "\nversion: 0.2.0\n"));
	free(t);
	run_ok(&e, &s, "{\"mode\": \"process_queue\"}", quick, "");
	wait_worker(&s);
	assert_int_equal(db_long(&s, "SELECT count(*) FROM job"), 0);
	assert_int_equal(h_unsynced(&e, 0), 0);

	/* A resident worker (as under Stash as PID 1; forced here) stays
	 * after the queue empties, is woken by the next hook, and leaves
	 * when an upgrade replaces its program file. */
	{
		static const char *const resident[] = {"STASH2PLEX_RESIDENT=1",
		    NULL};
		char lock[700], *log;
		double end;

		snprintf(lock, sizeof(lock), "%s/data/worker.lock", s.pkgdir);
		h_post(e.stash_ctl, "/scene/6", "{\"title\": \"Resident 1\"}");
		a = hook_args(6);
		run_ok(&e, &s, a, resident, "queued scene 6");
		free(a);
		wait_jobs_done(&s);
		h_sleep(RESIDENT_IDLE + 3);
		assert_true(lock_held(lock)); /* idle, but still there */
		h_post(e.stash_ctl, "/scene/8", "{\"title\": \"Resident 2\"}");
		a = hook_args(8);
		run_ok(&e, &s, a, resident, "queued scene 8");
		free(a);
		wait_jobs_done(&s);
		assert_int_equal(h_unsynced(&e, 0), 0);
		snprintf(path, sizeof(path), "%s/data/stash2plex.log",
		    s.pkgdir);
		log = read_text(path);
		assert_non_null(strstr(log, "resident"));
		assert_non_null(strstr(log, "Woken by a hook"));
		free(log);
		/* Plex rejects the token: the resident worker's run stops
		 * (jobs kept) and it waits; a Process Queue task that follows
		 * it says why instead of waiting forever. Once Plex accepts
		 * the token again, the next task's ring makes it drain. */
		assert_int_equal(h_post(e.plex_ctl, "/fault",
				     "{\"mode\": \"reject_token\"}"),
		    200);
		h_post(e.stash_ctl, "/scene/9", "{\"title\": \"Resident 3\"}");
		a = hook_args(9);
		run_ok(&e, &s, a, resident, "queued scene 9");
		free(a);
		{
			struct h_run r;

			run_installed(&e, &s, "{\"mode\": \"process_queue\"}",
			    resident, &r);
			printf("process_queue, token rejected: %s\n", r.out);
			assert_int_equal(r.status, 1);
			assert_non_null(
			    strstr(r.out, "background worker cannot drain"));
			h_run_free(&r);
		}
		assert_true(lock_held(lock)); /* still resident */
		assert_int_equal(h_post(e.plex_ctl, "/fault",
				     "{\"mode\": \"none\"}"),
		    200);
		run_ok(&e, &s, "{\"mode\": \"process_queue\"}", resident,
		    "drained by the background worker");
		wait_jobs_done(&s);
		/* Upgrade again (same release, new files). */
		ent = download(url, &v2, &n, e.dir);
		install_zip(&s, &v2, ent, n, url);
		free_entries(ent, n);
		free(ent);
		end = h_mono() + 30;
		while (lock_held(lock) && h_mono() < end)
			h_sleep(0.1);
		assert_false(lock_held(lock));
		log = read_text(path);
		assert_non_null(strstr(log, "Program file replaced"));
		free(log);
	}

	/* A database from a newer Stash2Plex: refused, clearly, untouched. */
	{
		char sql[64];
		struct h_run r;

		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
		    s2p_db_schema_version() + 1);
		assert_int_equal(db_long(&s, sql), -1); /* no row: fine */
		assert_int_equal(db_long(&s, "PRAGMA user_version"),
		    s2p_db_schema_version() + 1);
		h_post(e.stash_ctl, "/scene/4", "{\"title\": \"Refused\"}");
		a = hook_args(4);
		run_installed(&e, &s, a, quick, &r);
		free(a);
		printf("newer database: status %d, %s\n", r.status, r.out);
		assert_int_equal(r.status, 1);
		assert_non_null(strstr(r.out, "{\"error\":"));
		assert_non_null(strstr(r.out, "newer Stash2Plex"));
		h_run_free(&r);
		assert_int_equal(db_long(&s, "PRAGMA user_version"),
		    s2p_db_schema_version() + 1);
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
		    s2p_db_schema_version());
		(void)db_long(&s, sql);
	}

	/* Uninstall: the packaged files go, data/ and the folder stay. */
	wait_worker(&s);
	delete_package_files(&s);
	assert_int_not_equal(rmdir(s.pkgdir), 0);
	snprintf(path, sizeof(path), "%s/Stash2Plex.yml", s.pkgdir);
	assert_int_not_equal(stat(path, &sb), 0);
	snprintf(path, sizeof(path), "%s/stash2plex", s.pkgdir);
	assert_int_not_equal(stat(path, &sb), 0);
	snprintf(path, sizeof(path), "%s/data/stash2plex.db", s.pkgdir);
	assert_int_equal(stat(path, &sb), 0);

	MHD_stop_daemon(d);
	h_stop(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_install__source_install_upgrade_uninstall),
	};
	struct utsname u;
	size_t a;

	setvbuf(stdout, NULL, _IOLBF, 0);
	uname(&u);
	snprintf(host_arch, sizeof(host_arch), "%s",
	    strncmp(u.machine, "armv", 4) == 0 ? "armv7" : u.machine);
	for (a = 0; a < sizeof(arches) / sizeof(arches[0]); a++) {
		char p[600];

		snprintf(p, sizeof(p), "%s/%s/stash2plex", S2P_STATIC_DIR,
		    arches[a]);
		if (access(p, X_OK) == 0)
			snprintf(packaged + strlen(packaged),
			    sizeof(packaged) - strlen(packaged), "%s%s",
			    packaged[0] ? " " : "", arches[a]);
	}
	if (strstr(packaged, host_arch) == NULL) {
		printf("SKIP: no static binary for %s in %s (run 'make "
		       "static'); the package install test did not run\n",
		    host_arch, S2P_STATIC_DIR);
		return 77;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
