// The OCI runtime (runc, crun): create with the container's stdio or a
// console socket, start (runc's exec fifo or `runtime start`), delete; and
// the end of a container: OOM counter, exit.json, waiters.
#define _GNU_SOURCE
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

// --- the runtime's JSON log -------------------------------------------------

static size_t skip_space(const char *b, size_t n, size_t p) {
	while (p < n && (b[p] == ' ' || b[p] == '\t' || b[p] == '\r' || b[p] == '\n'))
		p++;
	return p;
}

static int hex4(const char *b, size_t n) {
	if (n < 4)
		return -1;
	int v = 0;
	for (int k = 0; k < 4; k++) {
		char c = b[k];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

static char *put_rune(char *o, uint32_t r) {
	if (r < 0x80) {
		*o++ = (char)r;
	} else if (r < 0x800) {
		*o++ = (char)(0xC0 | r >> 6);
		*o++ = (char)(0x80 | (r & 0x3F));
	} else if (r < 0x10000) {
		*o++ = (char)(0xE0 | r >> 12);
		*o++ = (char)(0x80 | (r >> 6 & 0x3F));
		*o++ = (char)(0x80 | (r & 0x3F));
	} else {
		*o++ = (char)(0xF0 | r >> 18);
		*o++ = (char)(0x80 | (r >> 12 & 0x3F));
		*o++ = (char)(0x80 | (r >> 6 & 0x3F));
		*o++ = (char)(0x80 | (r & 0x3F));
	}
	return o;
}

// json_string decodes the JSON string at b[0] (internal/jsonstr's Scan and
// Unquote) into a malloc'd string; *used is the bytes it took.
static char *json_string(const char *b, size_t n, size_t *used) {
	if (n == 0 || b[0] != '"')
		return NULL;
	size_t q = 1;
	for (;;) {
		const char *e = memchr(b + q, '"', n - q);
		if (!e)
			return NULL;
		q = (size_t)(e - b);
		size_t k = q - 1;
		while (k >= 1 && b[k] == '\\')
			k--;
		if ((q - 1 - k) % 2 == 0)
			break;
		q++;
	}
	const char *raw = b + 1;
	size_t rn = q - 1;
	*used = q + 1;
	char *out = malloc(rn + 1), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < rn; i++) {
		if (raw[i] != '\\') {
			*o++ = raw[i];
			continue;
		}
		if (++i >= rn)
			goto bad;
		switch (raw[i]) {
		case 'n': *o++ = '\n'; break;
		case 't': *o++ = '\t'; break;
		case 'r': *o++ = '\r'; break;
		case '"':
		case '\\':
		case '/': *o++ = raw[i]; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'u': {
			int r = hex4(raw + i + 1, rn - i - 1);
			if (r < 0)
				goto bad;
			i += 4;
			if (r >= 0xD800 && r <= 0xDFFF) {
				if (i + 6 < rn && raw[i + 1] == '\\' && raw[i + 2] == 'u') {
					int r2 = hex4(raw + i + 3, rn - i - 3);
					if (r2 >= 0xDC00 && r2 <= 0xDFFF && r < 0xDC00) {
						o = put_rune(o, 0x10000 + (uint32_t)((r - 0xD800) << 10) + (uint32_t)(r2 - 0xDC00));
						i += 6;
						break;
					}
				}
				r = 0xFFFD;
			}
			o = put_rune(o, (uint32_t)r);
			break;
		}
		default:
			goto bad;
		}
	}
	*o = 0;
	return out;
bad:
	free(out);
	return NULL;
}

// flat_json parses one flat JSON object (a runtime log line), keeping the
// string values of "level" and "msg" (NULL if absent or not strings).
bool flat_json(const char *b, size_t n, char **level, char **msg) {
	*level = *msg = NULL;
	size_t p = skip_space(b, n, 0);
	if (p >= n || b[p] != '{')
		return false;
	p = skip_space(b, n, p + 1);
	if (p < n && b[p] == '}')
		return true;
	while (p < n) {
		size_t used;
		char *key = json_string(b + p, n - p, &used);
		if (!key)
			goto bad;
		p = skip_space(b, n, p + used);
		if (p >= n || b[p] != ':') {
			free(key);
			goto bad;
		}
		p = skip_space(b, n, p + 1);
		if (p < n && b[p] == '"') {
			char *val = json_string(b + p, n - p, &used);
			if (!val) {
				free(key);
				goto bad;
			}
			char **dst = strcmp(key, "level") == 0 ? level : strcmp(key, "msg") == 0 ? msg : NULL;
			if (dst) {
				free(*dst);
				*dst = val;
			} else {
				free(val);
			}
			p += used;
		} else {
			// A number, bool or null: up to the next separator.
			for (; p < n && b[p] != ',' && b[p] != '}'; p++) {
				if (b[p] == '{' || b[p] == '[' || b[p] == '"') {
					free(key);
					goto bad; // nested values are not flat
				}
			}
		}
		free(key);
		p = skip_space(b, n, p);
		if (p >= n)
			goto bad;
		if (b[p] == '}')
			return true;
		if (b[p] != ',')
			goto bad;
		p = skip_space(b, n, p + 1);
	}
bad:
	free(*level);
	free(*msg);
	*level = *msg = NULL;
	return false;
}

// last_runtime_error finds the msg of the last error-level entry of the
// runtime's JSON log (runc and crun both write {"level":"error","msg":...}).
bool last_runtime_error(const char *path, char *out, size_t outlen) {
	char *data;
	size_t len;
	if (read_file(path, &data, &len) != 0)
		return false;
	bool found = false;
	out[0] = 0;
	for (size_t p = 0; p <= len;) {
		const char *nl = memchr(data + p, '\n', len - p);
		size_t e = nl ? (size_t)(nl - data) : len;
		char *level, *msg;
		if (flat_json(data + p, e - p, &level, &msg) && level &&
		    (strcmp(level, "error") == 0 || strcmp(level, "fatal") == 0)) {
			snprintf(out, outlen, "%s", msg ? msg : "");
			found = true;
		}
		free(level);
		free(msg);
		p = e + 1;
	}
	free(data);
	return found && out[0];
}

// --- running the runtime ----------------------------------------------------

// run_runtime runs `<runtime> --root R [args] --log L --log-format json <sub...>`
// with the given stdio and waits for it. The loop is blocked meanwhile:
// runtime commands are short and nothing else needs the shim while they run.
int run_runtime(const int stdio[3], char *err, size_t errlen, const char *const *sub, int nsub) {
	char logpath[4096];
	snprintf(logpath, sizeof logpath, "%s/%s", S.dir, RUNTIME_LOG);
	if (truncate(logpath, 0) != 0 && errno != ENOENT) {
		// not fatal: an old error would only be reported if the runtime fails
	}
	const struct config *c = &S.cfg;
	int argc = 0;
	const char **argv = calloc((size_t)(c->nruntime_args + nsub + 10), sizeof *argv);
	if (!argv) {
		seterr(err, errlen, "%s: %s", c->runtime, errstr(ENOMEM));
		return -1;
	}
	argv[argc++] = c->runtime;
	argv[argc++] = "--root";
	argv[argc++] = c->runtime_root;
	for (int i = 0; i < c->nruntime_args; i++)
		argv[argc++] = c->runtime_args[i];
	argv[argc++] = "--log";
	argv[argc++] = logpath;
	argv[argc++] = "--log-format";
	argv[argc++] = "json";
	for (int i = 0; i < nsub; i++)
		argv[argc++] = sub[i];

	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	posix_spawn_file_actions_init(&fa);
	for (int i = 0; i < 3; i++)
		posix_spawn_file_actions_adddup2(&fa, stdio[i], i);
	posix_spawnattr_init(&attr);
	sigset_t none, def;
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE); // ignored in the shim, default for the runtime
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &def);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	pid_t pid;
	int e = posix_spawn(&pid, c->exe, &fa, &attr, (char *const *)argv, S.envp);
	if (e == ENOENT && c->exe != c->runtime) // the daemon's link to the sealed copy is gone
		e = posix_spawn(&pid, c->runtime, &fa, &attr, (char *const *)argv, S.envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	free(argv);
	if (e != 0) {
		seterr(err, errlen, "%s: %s", c->runtime, errstr(e));
		return -1;
	}
	int st;
	pid_t r;
	while ((r = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
		;
	if (r < 0) {
		seterr(err, errlen, "%s: wait for runtime: %s", sub[0], errstr(errno));
		return -1;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (last_runtime_error(logpath, err, errlen))
		return -1;
	if (WIFSIGNALED(st))
		seterr(err, errlen, "%s: runtime killed by signal %d", sub[0], WTERMSIG(st));
	else
		seterr(err, errlen, "%s: runtime exited with status %d", sub[0], WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return -1;
}

static int run_null(char *err, size_t errlen, const char *const *sub, int nsub) {
	int null3[3] = {S.devnull, S.devnull, S.devnull};
	return run_runtime(null3, err, errlen, sub, nsub);
}

// --- create -----------------------------------------------------------------

// make_pipe returns a close-on-exec pipe whose read (output) or write
// (stdin) end, the shim's, is non-blocking; the container's stays blocking.
static int make_pipe(bool output, int p[2], char *err, size_t errlen) {
	if (pipe2(p, O_CLOEXEC) != 0) {
		seterr(err, errlen, "pipe2: %s", errstr(errno));
		return -1;
	}
	int ours = output ? p[0] : p[1];
	if (output)
		fcntl(p[0], F_SETPIPE_SZ, OUTPUT_PIPE_SIZE); // room to run ahead of the shim
	int fl = fcntl(ours, F_GETFL);
	if (fl < 0 || fcntl(ours, F_SETFL, fl | O_NONBLOCK) != 0) {
		seterr(err, errlen, "fcntl: %s", errstr(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	return 0;
}

static int read_init_pid(const char *pidfile, char *err, size_t errlen) {
	char *data;
	size_t len;
	if (read_file(pidfile, &data, &len) != 0) {
		seterr(err, errlen, "runtime pid file: open %s: %s", pidfile, errstr(errno));
		return -1;
	}
	size_t a = 0, b = len;
	while (a < b && (data[a] == ' ' || data[a] == '\n' || data[a] == '\t' || data[a] == '\r'))
		a++;
	while (b > a && (data[b - 1] == ' ' || data[b - 1] == '\n' || data[b - 1] == '\t' || data[b - 1] == '\r'))
		b--;
	long pid = 0;
	bool ok = b > a;
	for (size_t i = a; i < b && ok; i++) {
		ok = data[i] >= '0' && data[i] <= '9' && pid < 1 << 28;
		pid = pid * 10 + (data[i] - '0');
	}
	if (!ok || pid <= 0) {
		seterr(err, errlen, "runtime pid file: strconv.Atoi: parsing \"%.*s\": invalid syntax", (int)(b - a), data + a);
		free(data);
		return -1;
	}
	free(data);
	S.init_pid = (pid_t)pid;
	return 0;
}

// receive_fd reads one message from conn and returns the first descriptor
// it carries (runc and crun send the PTY master so); extra ones are closed.
static int receive_fd(int conn, char *err, size_t errlen) {
	char name[4096];
	union {
		char b[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} oob;
	struct iovec iov = {.iov_base = name, .iov_len = sizeof name};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = oob.b, .msg_controllen = sizeof oob.b};
	ssize_t n;
	while ((n = recvmsg(conn, &m, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	if (n < 0) {
		seterr(err, errlen, "console: recvmsg: %s", errstr(errno));
		return -1;
	}
	int got = -1;
	for (struct cmsghdr *h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h)) {
		if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof fd);
			if (got < 0)
				got = fd;
			else
				close(fd);
		}
	}
	if (got < 0)
		seterr(err, errlen, "console: console socket: no file descriptor received");
	return got;
}

// create_tty passes a console socket to the runtime and receives the PTY
// master. The runtime connects and sends it before `create` returns, so the
// connection is already queued when we accept.
static int create_tty(const char *pidfile, char *err, size_t errlen) {
	// sun_path is short: keep the socket in a short temp path, inside a
	// fresh 0700 directory so that no other user can take the name first
	// (the runtime sends the PTY master to whoever listens there).
	const char *tmp = getenv("TMPDIR");
	if (!tmp || !*tmp)
		tmp = "/tmp";
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path) - 2]; // room for "/s"
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (snprintf(dir, sizeof dir, "%s/berth-con-XXXXXX", tmp) >= (int)sizeof dir) {
		seterr(err, errlen, "console socket in %s: invalid argument", tmp);
		return -1;
	}
	if (!mkdtemp(dir)) {
		seterr(err, errlen, "console socket dir in %s: %s", tmp, errstr(errno));
		return -1;
	}
	snprintf(a.sun_path, sizeof a.sun_path, "%s/s", dir);
	int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (l < 0) {
		seterr(err, errlen, "socket: %s", errstr(errno));
		rmdir(dir);
		return -1;
	}
	if (bind(l, (struct sockaddr *)&a, sizeof a) != 0 || listen(l, 1) != 0) {
		seterr(err, errlen, "bind %s: %s", a.sun_path, errstr(errno));
		close(l);
		unlink(a.sun_path);
		rmdir(dir);
		return -1;
	}
	const char *sub[] = {"create", "--bundle", S.cfg.bundle, "--pid-file", pidfile, "--console-socket", a.sun_path, S.cfg.id};
	int r = run_null(err, errlen, sub, 8);
	int conn = -1, master = -1;
	if (r == 0) {
		while ((conn = accept4(l, NULL, NULL, SOCK_CLOEXEC)) < 0 && errno == EINTR)
			;
		if (conn < 0) {
			seterr(err, errlen, "console: runtime did not send the pty master");
			r = -1;
		}
	}
	if (r == 0) {
		master = receive_fd(conn, err, errlen);
		if (master < 0)
			r = -1;
	}
	xclose(conn);
	close(l);
	unlink(a.sun_path);
	rmdir(dir);
	if (r != 0)
		return -1;
	int fl = fcntl(master, F_GETFL);
	if (fl < 0 || fcntl(master, F_SETFL, fl | O_NONBLOCK) != 0) {
		seterr(err, errlen, "fcntl: %s", errstr(errno));
		close(master);
		return -1;
	}
	S.master = S.stdin = master;
	add_output(master, STREAM_STDOUT, "stdout");
	return read_init_pid(pidfile, err, errlen);
}

static struct logw logw;

// shim_create sets up the container's stdio and runs `runtime create`.
int shim_create(char *err, size_t errlen) {
	if (strcmp(S.cfg.log_driver, "none") != 0 && *S.cfg.log_path) {
		char e[4096];
		if (logw_open(&logw, S.cfg.log_path, S.cfg.log_max_size, S.cfg.log_max_file, e, sizeof e) != 0) {
			seterr(err, errlen, "log: %s", e);
			return -1;
		}
		S.log = &logw;
	}
	char pidfile[4096];
	snprintf(pidfile, sizeof pidfile, "%s/%s", S.dir, PID_FILE);
	if (S.cfg.tty)
		return create_tty(pidfile, err, errlen);
	int stdio[3] = {S.devnull, -1, -1}, child[3] = {-1, -1, -1}, outs[2] = {-1, -1}, r = -1;
	if (S.cfg.open_stdin) {
		int p[2];
		if (make_pipe(false, p, err, errlen) != 0)
			goto out;
		S.stdin = p[1];
		child[0] = stdio[0] = p[0];
	}
	for (int i = 0; i < 2; i++) {
		int p[2];
		if (make_pipe(true, p, err, errlen) != 0)
			goto out;
		outs[i] = p[0];
		child[i + 1] = stdio[i + 1] = p[1];
	}
	const char *sub[] = {"create", "--bundle", S.cfg.bundle, "--pid-file", pidfile, S.cfg.id};
	if (run_runtime(stdio, err, errlen, sub, 6) != 0)
		goto out;
	add_output(outs[0], STREAM_STDOUT, "stdout");
	add_output(outs[1], STREAM_STDERR, "stderr");
	outs[0] = outs[1] = -1;
	r = read_init_pid(pidfile, err, errlen);
out:
	for (int i = 0; i < 3; i++)
		xclose(child[i]);
	xclose(outs[0]);
	xclose(outs[1]);
	return r;
}

// --- start through the runtime's exec fifo ----------------------------------

// read_exec_fifo waits for the init's byte and the close that follows its
// exec, or for the init to die (its pidfd). 1: it ran; 0: no byte; -1: err.
static int read_exec_fifo(int fd, char *err, size_t errlen) {
	int64_t deadline = mono_ns() + START_FIFO_TIMEOUT_NS;
	bool got = false;
	char buf[16];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n > 0) {
			got = true;
			continue;
		}
		if (n == 0 && got)
			return 1; // EOF after the byte: the process was exec'd
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			seterr(err, errlen, "read exec.fifo: %s", errstr(errno));
			return -1;
		}
		// No writer yet (a fifo nobody opened reads as EOF too), or no data.
		int64_t left = deadline - mono_ns();
		if (left <= 0) {
			seterr(err, errlen, "timed out waiting for the container's init to start");
			return -1;
		}
		struct pollfd fds[2] = {{.fd = fd, .events = POLLIN}, {.fd = S.pidfd, .events = POLLIN}};
		int64_t ms = left < 10000000 ? left : 10000000;
		if (poll(fds, 2, (int)(ms / 1000000) + 1) < 0 && errno != EINTR) {
			seterr(err, errlen, "poll: %s", errstr(errno));
			return -1;
		}
		if ((fds[1].revents & POLLIN) && !(fds[0].revents & POLLIN)) {
			if (read(fd, buf, sizeof buf) > 0 || got)
				return 1; // it ran (and is done already)
			seterr(err, errlen, "container init exited before it was started");
			return -1;
		}
	}
}

// release_runc does what `runc start` does without exec'ing runc: runc's
// init waits, after `runc create`, in a blocking open of <root>/<id>/exec.fifo
// for writing; opening it for reading releases the init, which writes "0" and
// execs the container's process. The fifo is then removed, which is how runc
// tells "created" from "running".
static int release_runc(const char *path, bool *done, char *err, size_t errlen) {
	// Non-blocking: a dead init would otherwise leave the open hanging.
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return 0;
	*done = true;
	int r = read_exec_fifo(fd, err, errlen);
	close(fd);
	if (r < 0)
		return -1;
	if (r == 0) {
		seterr(err, errlen, "cannot start an already running container");
		return -1;
	}
	unlink(path);
	return 0;
}

// release_crun does what `crun start` does (libcrun_container_start) without
// exec'ing crun: crun's init waits, after `crun create`, to read a byte from
// <root>/<id>/exec.fifo; `crun start` opens it for writing, removes it (crun's
// "created" is that file), writes one byte and returns. Its other steps are
// for poststart hooks, which berth's specs never have, and for NOTIFY_SOCKET,
// with which `crun start` is left to do it all.
static int release_crun(const char *path, bool *done, char *err, size_t errlen) {
	if (getenv("NOTIFY_SOCKET"))
		return 0;
	// Non-blocking: with no reader (the init died) it fails instead of hanging.
	int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENXIO)
			return 0; // let `crun start` say what is wrong
		*done = true;
		seterr(err, errlen, "container init exited before it was started");
		return -1;
	}
	*done = true;
	int r = unlink(path) == 0 ? 0 : -1;
	if (r != 0)
		seterr(err, errlen, "unlink %s: %s", path, errstr(errno));
	else if (write(fd, "0", 1) != 1) {
		seterr(err, errlen, "write to exec.fifo: %s", errstr(errno));
		r = -1;
	}
	close(fd);
	return r;
}

// start_via_exec_fifo releases a runc or crun container's init through the
// runtime's exec fifo, sparing an exec of the runtime on every start. *done is
// false, nothing changed, for another runtime or when there is no fifo: the
// caller then runs `runtime start`.
int start_via_exec_fifo(bool *done, char *err, size_t errlen) {
	*done = false;
	const char *base = strrchr(S.cfg.runtime, '/');
	base = base ? base + 1 : S.cfg.runtime;
	bool runc = strcmp(base, "runc") == 0, crun = strcmp(base, "crun") == 0;
	if ((!runc && !crun) || !*S.cfg.runtime_root)
		return 0;
	char path[4096];
	snprintf(path, sizeof path, "%s/%s/exec.fifo", S.cfg.runtime_root, S.cfg.id);
	struct stat st;
	if (lstat(path, &st) != 0 || !S_ISFIFO(st.st_mode))
		return 0;
	return runc ? release_runc(path, done, err, errlen) : release_crun(path, done, err, errlen);
}

// --- the end ------------------------------------------------------------------

// cleanup_failed removes what a failed create may have left behind.
void cleanup_failed(void) {
	if (S.epfd >= 0) {
		char err[256];
		const char *sub[] = {"delete", "--force", S.cfg.id};
		run_null(err, sizeof err, sub, 3);
	}
	if (S.log)
		logw_close(S.log, NULL, 0);
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", S.dir, SHIM_PID_FILE);
	unlink(path);
}

// oom_killed reads the memory cgroup's oom_kill counter (v2 memory.events,
// v1 memory.oom_control).
static bool oom_killed(const char *dir) {
	if (!*dir)
		return false;
	static const char *const names[] = {"memory.events", "memory.oom_control"};
	for (int i = 0; i < 2; i++) {
		char path[4200], *data;
		size_t len;
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		if (read_file(path, &data, &len) != 0)
			continue;
		for (char *save = NULL, *l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			if (strncmp(l, "oom_kill ", 9) == 0 && l[9]) {
				char *end;
				long n = strtol(l + 9, &end, 10);
				bool killed = *end == 0 && n > 0;
				free(data);
				return killed;
			}
		}
		free(data);
	}
	return false;
}

// exit_json is shimproto.AppendExitJSON.
static size_t exit_json(char *dst, int code, const char *exited_at, bool oom, const char *error) {
	char *o = dst;
	o += sprintf(o, "{\"exit_code\":%d,\"exited_at\":\"", code);
	o += json_escape_exit(o, exited_at, strlen(exited_at));
	o += sprintf(o, "\",\"oom_killed\":%s", oom ? "true" : "false");
	if (*error) {
		memcpy(o, ",\"error\":\"", 10);
		o += 10;
		o += json_escape_exit(o, error, strlen(error));
		*o++ = '"';
	}
	*o++ = '}';
	return (size_t)(o - dst);
}

// finish records the exit, deletes the container, answers the waiters and
// closes everything.
void finish(void) {
	char error[4200] = "", ts[48];
	int code = 255;
	ts[format_rfc3339nano(ts, &S.exited_at)] = 0;
	if (S.have_status)
		code = WIFSIGNALED(S.init_status) ? 128 + WTERMSIG(S.init_status) : WEXITSTATUS(S.init_status);
	else
		snprintf(error, sizeof error, "the container's exit status was not available to the shim");
	bool oom = oom_killed(S.cfg.cgroup_memory_dir);
	if (S.log) {
		char e[4096];
		if (logw_close(S.log, e, sizeof e) != 0 && !*error)
			snprintf(error, sizeof error, "log: %s", e);
	}
	char *line = malloc(6 * sizeof error + 256);
	if (!line)
		_exit(1);
	size_t n = exit_json(line, code, ts, oom, error);
	if (write_file_atomic(EXIT_FILE, line, n) != 0 && !*error) {
		snprintf(error, sizeof error, "exit file: %s", errstr(errno));
		n = exit_json(line, code, ts, oom, error);
	}
	char err[256];
	const char *sub[] = {"delete", "--force", S.cfg.id};
	run_null(err, sizeof err, sub, 3);
	line[n++] = '\n';
	while (S.nwaiters > 0) {
		struct conn *w = S.waiters[0];
		write_all(w->fd, line, n);
		conn_close(w); // drops it from S.waiters
	}
	free(line);
	while (S.nclients > 0)
		conn_close(S.clients[0]);
	for (int fd = 0; fd < S.nwatches; fd++) {
		struct watch *w = S.watches[fd];
		if (w && w->kind == K_CONN)
			conn_close(w->conn);
	}
	close_stdin();
	close_listener();
}
