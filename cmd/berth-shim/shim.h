// berth-shim's monitor, in C (see docs/ARCHITECTURE.md, "The shim
// protocol"). One process per running container: its memory is paid per
// container, so it does not start the Go runtime (ctor.c). State is one
// global struct touched only by the single epoll loop.
#ifndef BERTH_SHIM_H
#define BERTH_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

// Bundle dir files (internal/shimproto).
#define CONFIG_FILE "shim.conf"
#define SOCKET_FILE "shim.sock"
#define PID_FILE "pid"
#define EXIT_FILE "exit.json"
#define SHIM_PID_FILE "shim.pid"
#define RUNTIME_LOG "runtime.log"

// Output: 256 KiB reads (one read, one log batch, one frame per chunk) from
// 1 MiB pipes (room for the container to run ahead of us).
#define READ_CHUNK (256 << 10)
#define OUTPUT_PIPE_SIZE (1 << 20)
#define FRAME_SIZE (8 + READ_CHUNK)

// json-file writer (internal/logs/logwriter): 16 KiB partial lines, one
// write per ~256 KiB of entries, a buffer that never grows for such lines.
#define MAX_LINE (16 * 1024)
#define FLUSH_AT (256 << 10)
#define LOG_BUFFER_SIZE (FLUSH_AT + 8 * MAX_LINE)
#define PREALLOC_AFTER (1 << 20) // a log file this big is a chatty container's: ...
#define PREALLOC_STEP (4 << 20)  // ... whose blocks are then reserved this far ahead

// Timing, in milliseconds unless named _NS.
#define COALESCE_DELAY_NS 1000000LL // sleep before the next read while streaming
#define STREAMING_GAP_NS 2000000LL  // reads closer than this are "streaming"
#define RELEASE_IDLE_MS 2000        // quiet time before buffer pages go back
#define REAP_SWEEP_MS 10000         // bound on an orphan's time as a zombie
#define DRAIN_QUIET_NS 100000000LL  // after init exit: quiet grace for output
#define DRAIN_LIMIT_NS 5000000000LL // after init exit: hard cap on draining
#define DRAIN_TICK_MS 20
#define ATTACH_WRITE_TIMEOUT_S 5 // SO_SNDTIMEO of attach clients
#define ATTACH_SNDBUF (256 << 10) // the kernel doubles it: room for two 256 KiB frames
#define LISTENER_RETRY_MS 100 // pause of accept after EMFILE and the like
#define START_FIFO_TIMEOUT_NS 5000000000LL

#define MAX_REQUEST 256
#define INBUF_SIZE (4 << 10)

enum { STREAM_STDOUT = 1, STREAM_STDERR = 2 };
enum { K_LISTENER, K_OUTPUT, K_CONN, K_PIDFD, K_STDIN };

struct conn;
struct output;

// One descriptor registered with epoll; found again by fd (watch_of).
struct watch {
	int kind;
	int fd;
	uint32_t events;
	struct output *out;
	struct conn *conn;
};

// One connection to shim.sock (or a client socket passed with attachfd).
struct conn {
	struct watch w;
	int fd;
	char req[MAX_REQUEST];
	size_t reqlen;
	bool attached;
	bool stdin; // its input goes to the container's stdin
	bool stdout, stderr;
	bool input_done;
	bool waiting; // a "wait" request: answered by finish, watched only for hang-up
	int passed_fd; // a descriptor sent with the request (SCM_RIGHTS), or -1
};

// json-file log of one container.
struct logw {
	char *path;
	int64_t max_size;
	int max_file;
	int fd;
	char *buf; // entries not yet written (LOG_BUFFER_SIZE, in the output mapping)
	size_t len;
	int64_t size; // bytes in the file plus buf
	bool closed;
	int64_t ondisk;    // bytes in the file
	int64_t alloc_end; // blocks reserved past ondisk up to here (jsonlog.c: reserve)
	bool no_reserve;   // the filesystem cannot (fallocate refused)
	bool spare_asked;  // the next file is being made ahead (retire.c)
};

// One stream's line splitter in front of the log.
struct logstream {
	struct logw *w;
	const char *name;
	char *pending; // MAX_LINE bytes, allocated on the first partial line
	size_t plen;
};

struct output {
	struct watch w;
	int fd;
	uint8_t stream;
	struct logstream *log;
};

struct config {
	char *id, *bundle, *runtime, *runtime_root;
	char **runtime_args;
	int nruntime_args;
	int runtime_fd;    // inherited sealed copy of the runtime binary, 0: none
	char *runtime_exe; // the daemon's path that executes that copy
	const char *exe;   // what run_runtime executes: runtime_exe if the copy is sealed, else runtime
	bool tty, open_stdin, stdin_once;
	char *log_driver, *log_path;
	int64_t log_max_size;
	int log_max_file;
	char *cgroup_memory_dir;
};

struct shim {
	struct config cfg;
	const char *dir;
	char **envp;
	int devnull;

	pid_t init_pid;
	bool init_exited;
	int init_status;
	bool have_status; // false if the init was not ours to wait for
	bool started;

	int master; // PTY master (tty), else -1
	int stdin;  // our end of the container's stdin, -1 when closed
	struct logw *log;

	// The loop.
	int epfd, listener, pidfd;
	struct watch **watches; // by fd
	int nwatches;
	struct watch listener_w, pidfd_w, stdin_w;
	bool listener_paused; // out of descriptors: accept again after LISTENER_RETRY_MS
	struct output outs[2];
	struct output *outputs[2];
	int noutputs;
	struct logstream logstreams[2];
	struct conn **clients; // attached for output
	int nclients, cclients;
	struct conn **waiters; // connections waiting for the exit record
	int nwaiters, cwaiters;
	int64_t last_data;         // monotonic ns of the last output read
	int64_t exited_mono;       // monotonic ns of the init's exit
	struct timespec exited_at; // wall clock of the init's exit

	char stdin_pending[INBUF_SIZE + 4 * MAX_REQUEST]; // input the container has not taken yet
	size_t stdin_npending;
	struct conn *stdin_from; // whose input is pending (its reading is paused)
	char inbuf[INBUF_SIZE];

	char *outmem; // frame header + read buffer, then the log buffer (mmap)
	size_t outmem_size;
	bool dirty; // outmem pages may be resident
	bool streaming;
	uint8_t last_stream;
};

extern struct shim S;

// ctor.c
int shim_run(const char *dir, char **envp);
int parse_config(char *data, size_t len, struct config *c, char *err, size_t errlen);

// loop.c
int loop_init(void);
void watch_fd(struct watch *w, int kind, int fd, uint32_t events);
void watch_modify(struct watch *w, uint32_t events);
void unwatch(int fd);
struct watch *watch_of(int fd);
int shim_listen(char *err, size_t errlen);
void close_listener(void);
int watch_init(char *err, size_t errlen);
void serve(void);
void reap_all(void);

// conn.c
void conn_accept(void);
void conn_read(struct conn *c);
void conn_close(struct conn *c);
bool write_all(int fd, const void *p, size_t n);
void read_input(struct conn *c);
void queue_input(struct conn *c, const char *p, size_t n);
void flush_stdin(void);
void close_stdin(void);
void resume_input(void);

// output.c
void add_output(int fd, uint8_t stream, const char *name);
void read_output(struct output *o);
void close_output(struct output *o);
void outbuf_release(void);
void coalesce(void);

// jsonlog.c
size_t json_escape(char *dst, const char *s, size_t n);
size_t json_escape_exit(char *dst, const char *s, size_t n);
size_t format_rfc3339nano(char *dst, const struct timespec *ts);
size_t append_entry(char *dst, const char *stream, const char *line, size_t n, const char *ts, size_t tslen);
int logw_open(struct logw *w, const char *path, int64_t max_size, int max_file, char *err, size_t errlen);
void logw_use_buffer(struct logw *w, char *buf);
int logstream_write(struct logstream *s, const char *p, size_t n);
int logstream_close(struct logstream *s);
int logw_close(struct logw *w, char *err, size_t errlen);
extern const struct timespec *log_clock_override; // tests only

// retire.c
int retire_file(const char *path);
void spare_request(const char *dir);
int spare_take(const char *path);
void spare_discard(void);
extern unsigned long spares_linked; // tests only

// runtime.c
int run_runtime(const int stdio[3], char *err, size_t errlen, const char *const *sub, int nsub);
int shim_create(char *err, size_t errlen);
int start_via_exec_fifo(bool *done, char *err, size_t errlen);
bool last_runtime_error(const char *path, char *msg, size_t msglen);
bool flat_json(const char *b, size_t n, char **level, char **msg);
void cleanup_failed(void);
void finish(void);

// util (ctor.c)
int64_t mono_ns(void);
const char *errstr(int e);
void seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int write_file_atomic(const char *path, const char *data, size_t n);
int read_file(const char *path, char **data, size_t *len);
void xclose(int fd);

#endif
