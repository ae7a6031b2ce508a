// The entry point of the monitor, before the Go runtime exists, and the
// shim's set-up: config, shim.pid, subreaper.
#define _GNU_SOURCE
#include "shim.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

struct shim S;

// glibc calls init_array functions with (argc, argv, envp), before main and
// so before the Go runtime starts. In monitor mode (`berth-shim BUNDLE_DIR`)
// the monitor runs here and the process ends here: no Go heap arena, no Go
// threads, a fraction of a Go program's memory per container. Everything
// else (`init -- CMD`, usage errors, the test binary's -test.* flags) goes on
// to Go's main.
__attribute__((constructor)) static void berth_shim_ctor(int argc, char **argv, char **envp) {
	if (argc != 2 || strcmp(argv[1], "init") == 0 || argv[1][0] == '-' || argv[1][0] == 0)
		return;
	_exit(shim_run(argv[1], envp));
}

int64_t mono_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

// errstr gives Go's wording of an errno (strerror with a lower-case first
// letter), so that messages read as the Go shim's did.
const char *errstr(int e) {
	static char buf[128];
	snprintf(buf, sizeof buf, "%s", strerror(e));
	if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z'))
		buf[0] = (char)tolower((unsigned char)buf[0]);
	return buf;
}

void seterr(char *err, size_t errlen, const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void xclose(int fd) {
	if (fd >= 0)
		close(fd); // EINTR on close: the fd is gone anyway (Linux)
}

int read_file(const char *path, char **data, size_t *len) {
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	if (!buf) {
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	for (;;) {
		if (n == cap) {
			char *nb = realloc(buf, 2 * cap + 1);
			if (!nb) {
				free(buf);
				close(fd);
				errno = ENOMEM;
				return -1;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			close(fd);
			errno = e;
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = 0;
	*data = buf;
	*len = n;
	return 0;
}

// write_file_atomic writes a temp file beside path and renames it, as
// internal/atomicfile.Publish does: the shim's files (shim.pid, exit.json) are in
// the exec root, whose state no boot outlives, so they get no fsync; readers and a
// restarted daemon still see them whole.
int write_file_atomic(const char *path, const char *data, size_t n) {
	char tmp[4096];
	const char *slash = strrchr(path, '/');
	if (slash)
		snprintf(tmp, sizeof tmp, "%.*s/.tmp-%s-XXXXXX", (int)(slash - path), path, slash + 1);
	else
		snprintf(tmp, sizeof tmp, ".tmp-%s-XXXXXX", path);
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -1;
	int ok = write_all(fd, data, n) && fchmod(fd, 0644) == 0;
	int e = errno;
	if (close(fd) != 0 && ok) {
		ok = 0;
		e = errno;
	}
	if (ok && rename(tmp, path) != 0) {
		ok = 0;
		e = errno;
	}
	if (!ok) {
		unlink(tmp);
		errno = e;
		return -1;
	}
	return 0;
}

// Go's strconv.Unquote of a double-quoted string (what MarshalConfig's
// strconv.Quote writes). NUL cannot pass through C strings: rejected.
static char *go_unquote(const char *s, size_t n) {
	if (n < 2 || s[0] != '"' || s[n - 1] != '"')
		return NULL;
	s++;
	n -= 2;
	char *out = malloc(n + 1), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\n')
			goto bad;
		if (c != '\\') {
			*o++ = (char)c;
			i++;
			continue;
		}
		if (++i >= n)
			goto bad;
		c = (unsigned char)s[i++];
		uint32_t v = 0;
		int digits = 0, base = 16;
		switch (c) {
		case 'a': *o++ = '\a'; continue;
		case 'b': *o++ = '\b'; continue;
		case 'f': *o++ = '\f'; continue;
		case 'n': *o++ = '\n'; continue;
		case 'r': *o++ = '\r'; continue;
		case 't': *o++ = '\t'; continue;
		case 'v': *o++ = '\v'; continue;
		case '\\': *o++ = '\\'; continue;
		case '"': *o++ = '"'; continue;
		case 'x': digits = 2; break;
		case 'u': digits = 4; break;
		case 'U': digits = 8; break;
		default:
			if (c >= '0' && c <= '7') {
				base = 8;
				digits = 2;
				v = c - '0';
				break;
			}
			goto bad;
		}
		for (int k = 0; k < digits; k++, i++) {
			if (i >= n)
				goto bad;
			int d, ch = (unsigned char)s[i];
			if (ch >= '0' && ch <= '9')
				d = ch - '0';
			else if (base == 16 && ch >= 'a' && ch <= 'f')
				d = ch - 'a' + 10;
			else if (base == 16 && ch >= 'A' && ch <= 'F')
				d = ch - 'A' + 10;
			else
				goto bad;
			if (base == 8 && d > 7)
				goto bad;
			v = v * (uint32_t)base + (uint32_t)d;
		}
		if (c == 'x' || base == 8) {
			if (v > 255 || v == 0)
				goto bad;
			*o++ = (char)v;
			continue;
		}
		if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
			goto bad;
		if (v < 0x80) {
			*o++ = (char)v;
		} else if (v < 0x800) {
			*o++ = (char)(0xC0 | (v >> 6));
			*o++ = (char)(0x80 | (v & 0x3F));
		} else if (v < 0x10000) {
			*o++ = (char)(0xE0 | (v >> 12));
			*o++ = (char)(0x80 | ((v >> 6) & 0x3F));
			*o++ = (char)(0x80 | (v & 0x3F));
		} else {
			*o++ = (char)(0xF0 | (v >> 18));
			*o++ = (char)(0x80 | ((v >> 12) & 0x3F));
			*o++ = (char)(0x80 | ((v >> 6) & 0x3F));
			*o++ = (char)(0x80 | (v & 0x3F));
		}
	}
	*o = 0;
	return out;
bad:
	free(out);
	return NULL;
}

static bool parse_bool(const char *v, bool *out) {
	static const char *const t[] = {"1", "t", "T", "TRUE", "true", "True"};
	static const char *const f[] = {"0", "f", "F", "FALSE", "false", "False"};
	for (size_t i = 0; i < 6; i++) {
		if (strcmp(v, t[i]) == 0)
			return *out = true, true;
		if (strcmp(v, f[i]) == 0)
			return *out = false, true;
	}
	return false;
}

static bool parse_int(const char *v, int64_t *out, int64_t lo, int64_t hi) {
	if (!*v)
		return false;
	char *end;
	errno = 0;
	long long x = strtoll(v, &end, 10);
	if (errno || *end || isspace((unsigned char)*v) || x < lo || x > hi)
		return false;
	*out = x;
	return true;
}

// parse_config reads shim.conf: key=value lines, strings Go-quoted
// (shimproto.MarshalConfig / ParseConfig). data (NUL-terminated) is cut
// into lines in place.
int parse_config(char *data, size_t len, struct config *c, char *err, size_t errlen) {
	memset(c, 0, sizeof *c);
	char *p = data, *end = data + len;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *le = nl ? nl : end;
		if (le == p) {
			p = le + 1;
			continue;
		}
		*le = 0;
		char *line = p;
		p = le + 1;
		char *eq = strchr(line, '=');
		if (!eq) {
			seterr(err, errlen, "shim config: bad line \"%s\"", line);
			return -1;
		}
		*eq = 0;
		const char *k = line, *v = eq + 1;
		char **str = NULL;
		bool *flag = NULL, ok = true;
		if (strcmp(k, "id") == 0)
			str = &c->id;
		else if (strcmp(k, "bundle") == 0)
			str = &c->bundle;
		else if (strcmp(k, "runtime") == 0)
			str = &c->runtime;
		else if (strcmp(k, "runtime_root") == 0)
			str = &c->runtime_root;
		else if (strcmp(k, "runtime_exe") == 0)
			str = &c->runtime_exe;
		else if (strcmp(k, "log_driver") == 0)
			str = &c->log_driver;
		else if (strcmp(k, "log_path") == 0)
			str = &c->log_path;
		else if (strcmp(k, "cgroup_memory_dir") == 0)
			str = &c->cgroup_memory_dir;
		else if (strcmp(k, "tty") == 0)
			flag = &c->tty;
		else if (strcmp(k, "open_stdin") == 0)
			flag = &c->open_stdin;
		else if (strcmp(k, "stdin_once") == 0)
			flag = &c->stdin_once;
		if (str) {
			char *s = go_unquote(v, strlen(v));
			ok = s != NULL;
			if (ok) {
				free(*str);
				*str = s;
			}
		} else if (flag) {
			ok = parse_bool(v, flag);
		} else if (strcmp(k, "runtime_arg") == 0) {
			char *s = go_unquote(v, strlen(v));
			char **na = s ? realloc(c->runtime_args, (size_t)(c->nruntime_args + 1) * sizeof *na) : NULL;
			ok = na != NULL;
			if (ok) {
				c->runtime_args = na;
				c->runtime_args[c->nruntime_args++] = s;
			} else {
				free(s);
			}
		} else if (strcmp(k, "runtime_fd") == 0) {
			int64_t x = 0;
			ok = parse_int(v, &x, 0, INT32_MAX);
			c->runtime_fd = (int)x;
		} else if (strcmp(k, "log_max_size") == 0) {
			ok = parse_int(v, &c->log_max_size, INT64_MIN, INT64_MAX);
		} else if (strcmp(k, "log_max_file") == 0) {
			int64_t x = 0;
			ok = parse_int(v, &x, INT64_MIN, INT64_MAX);
			c->log_max_file = x > 1 << 20 ? 1 << 20 : x < -1 ? -1 : (int)x;
		} else {
			seterr(err, errlen, "shim config: unknown key \"%s\"", k);
			return -1;
		}
		if (!ok) {
			seterr(err, errlen, "shim config: %s: invalid syntax", k);
			return -1;
		}
	}
	return 0;
}

static char *empty(char *s) { return s ? s : ""; }

// sealed_runtime reports whether fd is the daemon's sealed copy of the runtime
// (runtime/sealed.go): a memfd with the exact seals runc and crun look for, so
// running it spares them copying themselves on every call.
static bool sealed_runtime(int fd) {
	int want = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
	return fcntl(fd, F_GET_SEALS) == want;
}

// setup reads the config, records our pid and becomes a subreaper.
static int setup(char *err, size_t errlen) {
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", S.dir, CONFIG_FILE);
	char *data;
	size_t len;
	if (read_file(path, &data, &len) != 0) {
		seterr(err, errlen, "open %s: %s", path, errstr(errno));
		return -1;
	}
	int r = parse_config(data, len, &S.cfg, err, errlen);
	free(data);
	if (r != 0)
		return -1;
	struct config *c = &S.cfg;
	c->id = empty(c->id);
	c->bundle = empty(c->bundle);
	c->runtime = empty(c->runtime);
	c->runtime_root = empty(c->runtime_root);
	c->log_driver = empty(c->log_driver);
	c->log_path = empty(c->log_path);
	c->cgroup_memory_dir = empty(c->cgroup_memory_dir);
	if (!*c->runtime || !*c->id || !*c->bundle) {
		seterr(err, errlen, "shim config: runtime, id and bundle are required");
		return -1;
	}
	c->exe = c->runtime;
	if (c->runtime_fd > 2 && c->runtime_exe && *c->runtime_exe && sealed_runtime(c->runtime_fd)) {
		// Kept open for the shim's life, out of the runtime's and the container's way.
		fcntl(c->runtime_fd, F_SETFD, FD_CLOEXEC);
		c->exe = c->runtime_exe;
	}
	char pid[32];
	int n = snprintf(pid, sizeof pid, "%d", (int)getpid());
	snprintf(path, sizeof path, "%s/%s", S.dir, SHIM_PID_FILE);
	if (write_file_atomic(path, pid, (size_t)n) != 0) {
		seterr(err, errlen, "open %s: %s", path, errstr(errno));
		return -1;
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
		seterr(err, errlen, "subreaper: %s", errstr(errno));
		return -1;
	}
	S.devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (S.devnull < 0) {
		seterr(err, errlen, "open /dev/null: %s", errstr(errno));
		return -1;
	}
	return loop_init();
}

static int sync_fd = 3;

// reply writes the one line the daemon waits for on fd 3 and closes it.
static void reply(const char *line, const char *msg) {
	if (sync_fd < 0)
		return;
	struct iovec iov[3] = {{(void *)line, strlen(line)}, {(void *)(msg ? msg : ""), msg ? strlen(msg) : 0}, {"\n", 1}};
	ssize_t n;
	while ((n = writev(sync_fd, iov, 3)) < 0 && errno == EINTR)
		; // one short line into an empty pipe: written whole
	close(sync_fd);
	sync_fd = -1;
}

int shim_run(const char *dir, char **envp) {
	S.dir = dir;
	S.envp = envp;
	S.devnull = S.master = S.stdin = -1;
	S.epfd = S.listener = S.pidfd = -1;
	// The sync pipe must not leak into the runtime and the container.
	if (fcntl(sync_fd, F_SETFD, FD_CLOEXEC) != 0)
		sync_fd = -1;
	// Writes to a gone client or a closed stdin give EPIPE, not a signal
	// (runtime children get SIGPIPE back at its default: runtime.c).
	signal(SIGPIPE, SIG_IGN);
	char err[4096];
	err[0] = 0;
	if (setup(err, sizeof err) != 0) {
		reply("error: ", err);
		return 1;
	}
	if (shim_listen(err, sizeof err) != 0) {
		cleanup_failed();
		reply("error: ", err);
		return 1;
	}
	if (shim_create(err, sizeof err) != 0) {
		close_listener();
		cleanup_failed();
		reply("error: ", err);
		return 1;
	}
	if (watch_init(err, sizeof err) != 0) {
		close_listener();
		cleanup_failed();
		reply("error: ", err);
		return 1;
	}
	reply("ok", NULL);
	serve();
	return 0;
}
