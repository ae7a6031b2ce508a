// Docker's json-file log format, byte for byte as internal/logs/logwriter
// writes it: JSON escaping, RFC3339Nano timestamps, lines cut at 16 KiB,
// partial last lines, rotation (max-size, max-file).
#define _GNU_SOURCE
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

static const char hexdig[] = "0123456789abcdef";

// A clock the tests can fix (cgo wrapper); NULL in the shim.
const struct timespec *log_clock_override;

// utf8_decode is Go's utf8.DecodeRune: the length of a valid sequence at p
// (rejecting overlong forms, surrogates, > U+10FFFF), or 0 if invalid.
static size_t utf8_decode(const unsigned char *p, size_t n, uint32_t *r) {
	unsigned char c = p[0];
	unsigned char lo = 0x80, hi = 0xBF;
	size_t size;
	if (c >= 0xC2 && c <= 0xDF) {
		size = 2;
	} else if (c >= 0xE0 && c <= 0xEF) {
		size = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		size = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else {
		return 0;
	}
	if (n < size || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t k = 2; k < size; k++)
		if (p[k] < 0x80 || p[k] > 0xBF)
			return 0;
	if (size == 2)
		*r = (uint32_t)(c & 0x1F) << 6 | (p[1] & 0x3F);
	else if (size == 3)
		*r = (uint32_t)(c & 0x0F) << 12 | (uint32_t)(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
	else
		*r = (uint32_t)(c & 0x07) << 18 | (uint32_t)(p[1] & 0x3F) << 12 | (uint32_t)(p[2] & 0x3F) << 6 | (p[3] & 0x3F);
	return size;
}

// escape_one writes the escape of the byte (or rune) at s[i] that the fast
// scan stopped at, and returns how many input bytes it took. bf: \b and \f
// as short escapes (logwriter, encoding/json since Go 1.22); the exit record
// (shimproto) writes them as \u0008 and \u000c.
static inline size_t escape_one(char **out, const unsigned char *s, size_t i, size_t n, bool bf) {
	char *o = *out;
	unsigned char b = s[i];
	if (b < 0x80) {
		switch (b) {
		case '\\':
		case '"':
			o[0] = '\\', o[1] = (char)b, o += 2;
			break;
		case '\n':
			o[0] = '\\', o[1] = 'n', o += 2;
			break;
		case '\r':
			o[0] = '\\', o[1] = 'r', o += 2;
			break;
		case '\t':
			o[0] = '\\', o[1] = 't', o += 2;
			break;
		case '\b':
		case '\f':
			if (bf) {
				o[0] = '\\', o[1] = b == '\b' ? 'b' : 'f', o += 2;
				break;
			}
			// fall through
		default:
			if (b >= 0x20 && b != '<' && b != '>' && b != '&') {
				*o++ = (char)b;
				break;
			}
			memcpy(o, "\\u00", 4);
			o[4] = hexdig[b >> 4], o[5] = hexdig[b & 0xF], o += 6;
		}
		*out = o;
		return 1;
	}
	uint32_t r;
	size_t size = utf8_decode(s + i, n - i, &r);
	if (size == 0) {
		memcpy(o, "\\ufffd", 6);
		*out = o + 6;
		return 1;
	}
	if (r == 0x2028 || r == 0x2029) {
		memcpy(o, "\\u202", 5);
		o[5] = hexdig[r & 0xF];
		*out = o + 6;
		return size;
	}
	memcpy(o, s + i, size);
	*out = o + size;
	return size;
}

// plain marks ASCII bytes that need no escaping.
static inline bool plain(unsigned char b) {
	return b >= 0x20 && b < 0x80 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&';
}

#ifdef __SSE2__
// copy16 stores the 16 bytes at s to o and returns a bit per byte that
// needs escaping: a control byte (max(v, 0x1f) == 0x1f), one of " \ < > &,
// or non-ASCII (its high bit, taken straight from v).
static inline unsigned copy16(char *o, const unsigned char *s) {
	const __m128i ctl = _mm_set1_epi8(0x1f), q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\');
	const __m128i lt = _mm_set1_epi8('<'), gt = _mm_set1_epi8('>'), amp = _mm_set1_epi8('&');
	__m128i v = _mm_loadu_si128((const __m128i *)s);
	_mm_storeu_si128((__m128i *)o, v);
	__m128i m = _mm_cmpeq_epi8(_mm_max_epu8(v, ctl), ctl);
	m = _mm_or_si128(m, _mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, bs)));
	m = _mm_or_si128(m, _mm_or_si128(_mm_cmpeq_epi8(v, lt), _mm_cmpeq_epi8(v, gt)));
	m = _mm_or_si128(m, _mm_cmpeq_epi8(v, amp));
	return (unsigned)_mm_movemask_epi8(_mm_or_si128(m, v));
}
#endif

// scan writes the JSON string body of s (no quotes) to dst and returns its
// length. dst must have room for 6*n + 16 bytes: the vector path stores 16
// bytes at a time and keeps only those before the first special byte. With
// at_newline it stops after the first newline (escaped, found in the same
// scan: it is one of the bytes the scan stops at anyway) and sets *taken to
// the line's length, or to 0, dst then holding garbage, if there is none.
// Inlined into each caller, so that the flags cost nothing in the loop.
static inline __attribute__((always_inline)) size_t scan(char *dst, const char *src, size_t n, bool bf, bool at_newline, size_t *taken) {
	const unsigned char *s = (const unsigned char *)src;
	char *o = dst;
	size_t i = 0;
#ifdef __SSE2__
	while (i + 16 <= n) {
		unsigned mask = copy16(o, s + i);
		if (mask == 0) {
			i += 16;
			o += 16;
			continue;
		}
		unsigned k = (unsigned)__builtin_ctz(mask);
		i += k;
		o += k;
		if (at_newline && s[i] == '\n')
			goto newline;
		i += escape_one(&o, s, i, n, bf);
	}
#endif
	while (i < n) {
		if (plain(s[i])) {
			*o++ = (char)s[i++];
			continue;
		}
		if (at_newline && s[i] == '\n')
			goto newline;
		i += escape_one(&o, s, i, n, bf);
	}
	if (at_newline) {
		*taken = 0;
		return 0;
	}
	return (size_t)(o - dst);
newline:
	o[0] = '\\', o[1] = 'n';
	*taken = i + 1;
	return (size_t)(o + 2 - dst);
}

size_t json_escape(char *dst, const char *s, size_t n) { return scan(dst, s, n, true, false, NULL); }
size_t json_escape_exit(char *dst, const char *s, size_t n) { return scan(dst, s, n, false, false, NULL); }

// escape_line escapes src up to and including its first newline, as
// json_escape does; *taken is the line's length, 0 if n bytes hold none.
static size_t escape_line(char *dst, const char *src, size_t n, size_t *taken) {
	return scan(dst, src, n, true, true, taken);
}

// format_rfc3339nano is Go's t.UTC().Format(time.RFC3339Nano): the
// fraction without trailing zeros, none at all on a whole second.
size_t format_rfc3339nano(char *dst, const struct timespec *ts) {
	int64_t secs = ts->tv_sec, days = secs / 86400, rem = secs % 86400;
	if (rem < 0)
		rem += 86400, days--;
	// Days since 1970-01-01 to a civil date (H. Hinnant's algorithm).
	int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097, yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
	if (m <= 2)
		y++;
	int len = snprintf(dst, 32, "%04d-%02d-%02dT%02d:%02d:%02d", (int)y, (int)m, (int)d, (int)(rem / 3600),
	                   (int)(rem / 60 % 60), (int)(rem % 60));
	long ns = ts->tv_nsec;
	if (ns > 0) {
		char frac[10];
		int digits = 9;
		for (int k = 8; k >= 0; k--, ns /= 10)
			frac[k] = (char)('0' + ns % 10);
		while (digits > 0 && frac[digits - 1] == '0')
			digits--;
		dst[len++] = '.';
		memcpy(dst + len, frac, (size_t)digits);
		len += digits;
	}
	dst[len++] = 'Z';
	return (size_t)len;
}

// append_entry writes one json-file entry with its newline, as Docker's
// jsonlog.JSONLogs.MarshalJSONBuf does. dst needs 6*n + 128 bytes of room.
size_t append_entry(char *dst, const char *stream, const char *line, size_t n, const char *ts, size_t tslen) {
	char *o = dst;
	bool first = true;
	*o++ = '{';
	if (n > 0) {
		first = false;
		memcpy(o, "\"log\":\"", 7);
		o += 7;
		o += json_escape(o, line, n);
		*o++ = '"';
	}
	if (stream && *stream) {
		if (!first)
			*o++ = ',';
		first = false;
		memcpy(o, "\"stream\":\"", 10);
		o += 10;
		o += json_escape(o, stream, strlen(stream));
		*o++ = '"';
	}
	if (!first)
		*o++ = ',';
	memcpy(o, "\"time\":\"", 8);
	o += 8;
	memcpy(o, ts, tslen);
	o += tslen;
	memcpy(o, "\"}\n", 3);
	return (size_t)(o + 3 - dst);
}

static size_t now_ts(char *dst) {
	struct timespec ts;
	if (log_clock_override)
		ts = *log_clock_override;
	else
		clock_gettime(CLOCK_REALTIME, &ts);
	return format_rfc3339nano(dst, &ts);
}

// The writer's last failure, for the exit record ("log: write PATH: ...").
static const char *fail_op;
static int fail_errno;

static int failed(const char *op) {
	fail_op = op;
	fail_errno = errno;
	return -1;
}

int logw_open(struct logw *w, const char *path, int64_t max_size, int max_file, char *err, size_t errlen) {
	memset(w, 0, sizeof *w);
	w->path = strdup(path);
	w->max_size = max_size;
	w->max_file = max_file < 1 ? 1 : max_file;
	w->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	struct stat st;
	if (!w->path || w->fd < 0 || fstat(w->fd, &st) != 0) {
		seterr(err, errlen, "open %s: %s", path, errstr(errno));
		xclose(w->fd);
		free(w->path);
		return -1;
	}
	w->size = w->ondisk = w->alloc_end = st.st_size;
	spare_discard(); // a spare made for an earlier log
	return 0;
}

// ask_spare has the next file made ahead of a rotation, in the background
// (retire.c), once the current one is half full: quiet containers never
// rotate, and ask for nothing.
static void ask_spare(struct logw *w) {
	if (w->spare_asked || w->max_file < 2 || w->max_size <= 0 || w->size < w->max_size / 2)
		return;
	char dir[4200];
	const char *slash = strrchr(w->path, '/');
	size_t n = slash ? (size_t)(slash - w->path) : 0;
	if (n == 0 || n >= sizeof dir)
		return;
	memcpy(dir, w->path, n);
	dir[n] = 0;
	spare_request(dir);
	w->spare_asked = true;
}

// logw_use_buffer gives the writer its buffer (LOG_BUFFER_SIZE bytes, in
// memory the shim hands back to the kernel while the container is quiet).
void logw_use_buffer(struct logw *w, char *buf) {
	w->buf = buf;
	w->len = 0;
}

// reserve allocates the file's blocks ahead of a write of n bytes once the
// file is PREALLOC_AFTER big, PREALLOC_STEP at a time (up to the rotation size),
// without changing its size. ext4 then writes into blocks it already has: the
// per-page delayed-allocation bookkeeping of a growing file goes (160 MB of
// entries, 100 MB of output, measured 35 → 22 ms of kernel time), and a
// deleted rotated file has no delayed blocks to undo. Quiet containers never reach the
// threshold; release gives back what a file did not use.
static void reserve(struct logw *w, size_t n) {
	if (w->no_reserve || w->ondisk < PREALLOC_AFTER || w->ondisk + (int64_t)n <= w->alloc_end)
		return;
	int64_t from = w->alloc_end > w->ondisk ? w->alloc_end : w->ondisk;
	int64_t to = w->ondisk + (int64_t)n + PREALLOC_STEP;
	if (w->max_size > 0 && to > w->max_size)
		to = w->max_size > w->ondisk + (int64_t)n ? w->max_size : w->ondisk + (int64_t)n;
	if (to <= from)
		return;
	if (fallocate(w->fd, FALLOC_FL_KEEP_SIZE, from, to - from) != 0) {
		w->no_reserve = errno == EOPNOTSUPP || errno == ENOSYS || errno == EINVAL;
		return; // ENOSPC and the like: the write itself will tell
	}
	w->alloc_end = to;
}

// release frees the reserved blocks past the end of the file, before it is
// closed for good or rotated: a truncate to its own size does that (ext4 and
// xfs; a hole punch past the end is a no-op on ext4).
static void release(struct logw *w) {
	struct stat st;
	if (w->fd >= 0 && w->alloc_end > w->ondisk && fstat(w->fd, &st) == 0)
		ftruncate(w->fd, st.st_size);
	w->alloc_end = w->ondisk;
}

static int write_out(struct logw *w, const char *p, size_t n) {
	reserve(w, n);
	ask_spare(w);
	while (n > 0) {
		ssize_t r = write(w->fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return failed("write");
		p += r;
		n -= (size_t)r;
		w->ondisk += r;
	}
	return 0;
}

static int flush(struct logw *w) {
	if (w->len == 0)
		return 0;
	int r = write_out(w, w->buf, w->len);
	w->len = 0;
	return r;
}

// rotate deletes path.(n-1), shifts path.(n-2) → path.(n-1) … path →
// path.1 and starts a new file. As in Docker, a failed rename (the files
// were deleted or moved under us) costs the old entries at most: the new
// file is opened all the same, so logging goes on. With max-file 1 the
// file is truncated in place.
//
// The oldest file is deleted before the renames rather than renamed over:
// ext4 writes a file renamed over another to disk at once (auto_da_alloc),
// which cost a disk write of every rotated file and ~13 ms of CPU each.
static int rotate(struct logw *w) {
	release(w);
	if (close(w->fd) != 0 && errno != EINTR)
		return w->fd = -1, failed("close");
	w->fd = -1;
	char from[4200], to[4200];
	if (w->max_file > 1) {
		snprintf(from, sizeof from, "%s.%d", w->path, w->max_file - 1);
		retire_file(from);
		for (int i = w->max_file - 1; i > 1; i--) {
			snprintf(from, sizeof from, "%s.%d", w->path, i - 1);
			snprintf(to, sizeof to, "%s.%d", w->path, i);
			rename(from, to);
		}
		snprintf(to, sizeof to, "%s.1", w->path);
		rename(w->path, to);
	}
	w->fd = w->max_file > 1 ? spare_take(w->path) : -1;
	w->spare_asked = false;
	if (w->fd < 0)
		w->fd = open(w->path, O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (w->fd < 0)
		return failed("open");
	w->size = w->ondisk = w->alloc_end = 0;
	return 0;
}

// entry_room makes room in the buffer for an entry of a line of n bytes
// (6n + 128 bytes: escapes, keys, stamp); the entry goes at w->buf + w->len.
static int entry_room(struct logw *w, size_t n) {
	if (w->closed || !w->buf || w->fd < 0) {
		errno = EBADF;
		return failed("write");
	}
	if (w->len + 6 * n + 128 > LOG_BUFFER_SIZE && flush(w) != 0)
		return -1; // cannot happen for lines up to MAX_LINE
	return 0;
}

// entry_added accounts for an entry of en bytes just written at
// w->buf + w->len, rotating first if it does not fit in the current file.
static int entry_added(struct logw *w, size_t en) {
	size_t start = w->len;
	w->len += en;
	if (w->max_size > 0 && w->size > 0 && w->size + (int64_t)en > w->max_size) {
		// The entry does not fit: what precedes it goes to the old file.
		if (write_out(w, w->buf, start) != 0) {
			w->len = start;
			return -1;
		}
		if (rotate(w) != 0) {
			w->len = 0;
			return -1;
		}
		memmove(w->buf, w->buf + start, en);
		w->len = en;
	}
	w->size += (int64_t)en;
	if (w->len >= FLUSH_AT)
		return flush(w);
	return 0;
}

// write_entry appends one entry, rotating first if it would not fit.
static int write_entry(struct logw *w, const char *stream, const char *line, size_t n, const char *ts, size_t tslen) {
	if (entry_room(w, n) != 0)
		return -1;
	return entry_added(w, append_entry(w->buf + w->len, stream, line, n, ts, tslen));
}

// An entry's tail within entry_room's 128 bytes of slack: the 8-byte head,
// and this (stream name, stamp and keys; 61 bytes for "stdout").
#define ENTRY_TAIL_MAX 112

// entry_tail writes what follows the log text in the entry of a non-empty
// line, `","stream":"NAME","time":"TS"}` and the newline, as append_entry
// lays it out; 0 if it would not fit in ENTRY_TAIL_MAX.
static size_t entry_tail(char *dst, const char *stream, const char *ts, size_t tslen) {
	size_t sl = stream ? strlen(stream) : 0;
	if (6 * sl + tslen + 25 > ENTRY_TAIL_MAX)
		return 0;
	char *o = dst;
	*o++ = '"';
	if (sl > 0) {
		memcpy(o, ",\"stream\":\"", 11);
		o += 11;
		o += json_escape(o, stream, sl);
		*o++ = '"';
	}
	memcpy(o, ",\"time\":\"", 9);
	o += 9;
	memcpy(o, ts, tslen);
	o += tslen;
	memcpy(o, "\"}\n", 3);
	return (size_t)(o + 3 - dst);
}

static void pend(struct logstream *s, const char *p, size_t n) {
	if (!s->pending && !(s->pending = malloc(MAX_LINE)))
		return; // no memory: the partial line is lost from the log only
	memcpy(s->pending + s->plen, p, n);
	s->plen += n;
}

#define KEEP(x)                          \
	do {                                 \
		if ((x) != 0 && err == 0) err = -1; \
	} while (0)

// logstream_write cuts a chunk of output into lines and writes one entry per
// line (16 KiB partial entries for longer lines); it ends with its entries
// in the file so that followers see output promptly. All lines of one
// chunk share one timestamp.
int logstream_write(struct logstream *s, const char *p, size_t n) {
	struct logw *w = s->w;
	char ts[48];
	size_t tsl = now_ts(ts);
	int err = 0;
	char tail[ENTRY_TAIL_MAX];
	size_t tl = entry_tail(tail, s->name, ts, tsl);
	while (n > 0) {
		// The common case, a whole line in front of us: one scan finds
		// its end and escapes it, and the entry's tail is copied whole.
		size_t lim = n < MAX_LINE ? n : MAX_LINE, taken;
		if (s->plen == 0 && tl > 0 && entry_room(w, lim) == 0) {
			char *o = w->buf + w->len;
			memcpy(o, "{\"log\":\"", 8);
			size_t en = escape_line(o + 8, p, lim, &taken);
			if (taken > 0) {
				memcpy(o + 8 + en, tail, tl);
				KEEP(entry_added(w, 8 + en + tl));
				p += taken;
				n -= taken;
				continue;
			}
		}
		const char *nl = memchr(p, '\n', n);
		if (!nl) {
			size_t room = MAX_LINE - s->plen;
			if (n < room) {
				pend(s, p, n);
				break;
			}
			pend(s, p, room);
			p += room;
			n -= room;
			KEEP(write_entry(w, s->name, s->pending, s->plen, ts, tsl));
			s->plen = 0;
			continue;
		}
		const char *line = p;
		size_t ll = (size_t)(nl - p) + 1;
		p += ll;
		n -= ll;
		if (s->plen == 0 && ll <= MAX_LINE) {
			KEEP(write_entry(w, s->name, line, ll, ts, tsl));
			continue;
		}
		while (s->plen + ll > MAX_LINE) {
			size_t room = MAX_LINE - s->plen;
			pend(s, line, room);
			line += room;
			ll -= room;
			KEEP(write_entry(w, s->name, s->pending, s->plen, ts, tsl));
			s->plen = 0;
		}
		pend(s, line, ll);
		KEEP(write_entry(w, s->name, s->pending, s->plen, ts, tsl));
		s->plen = 0;
	}
	if (!w->closed)
		KEEP(flush(w));
	return err;
}

// logstream_close writes a pending unterminated line as a partial entry.
int logstream_close(struct logstream *s) {
	struct logw *w = s->w;
	int err = 0;
	if (s->plen > 0 && !w->closed) {
		char ts[48];
		size_t tsl = now_ts(ts);
		KEEP(write_entry(w, s->name, s->pending, s->plen, ts, tsl));
		KEEP(flush(w));
	}
	free(s->pending);
	s->pending = NULL;
	s->plen = 0;
	return err;
}

// logw_close flushes and closes the file; err gets Go's wording of a failure.
int logw_close(struct logw *w, char *err, size_t errlen) {
	if (w->closed)
		return 0;
	fail_op = NULL;
	int r = flush(w);
	w->closed = true;
	spare_discard();
	release(w);
	if (w->fd >= 0 && close(w->fd) != 0 && r == 0 && errno != EINTR)
		r = failed("close");
	w->fd = -1;
	if (fail_op && err)
		seterr(err, errlen, "%s %s: %s", fail_op, w->path, errstr(fail_errno));
	return r != 0 || fail_op ? -1 : 0;
}
