package main

// Thin Go wrappers around parts of the C monitor, for the tests (cgo is not
// allowed in _test.go files). The shim itself never calls them.

/*
#include <stdlib.h>
#include <string.h>
#include "shim.h"
*/
import "C"

import (
	"errors"
	"os"
	"path/filepath"
	"time"
	"unsafe"
)

func cBytes(b []byte) *C.char {
	if len(b) == 0 {
		return nil
	}
	return (*C.char)(unsafe.Pointer(&b[0]))
}

// cAppendEntry is the C json-file entry of line, stamped t.
func cAppendEntry(stream string, line []byte, t time.Time) []byte {
	buf := (*C.char)(C.malloc(C.size_t(6*len(line) + 256)))
	defer C.free(unsafe.Pointer(buf))
	ts := (*C.char)(C.malloc(64))
	defer C.free(unsafe.Pointer(ts))
	spec := C.struct_timespec{tv_sec: C.long(t.Unix()), tv_nsec: C.long(t.Nanosecond())}
	tsl := C.format_rfc3339nano(ts, &spec)
	cs := C.CString(stream)
	defer C.free(unsafe.Pointer(cs))
	if stream == "" {
		cs = nil
	}
	cline := C.CBytes(line)
	defer C.free(cline)
	n := C.append_entry(buf, cs, (*C.char)(cline), C.size_t(len(line)), ts, tsl)
	return C.GoBytes(unsafe.Pointer(buf), C.int(n))
}

// cExitJSON is the C exit record (shimproto.AppendExitJSON).
func cExitJSON(s string) []byte {
	buf := (*C.char)(C.malloc(C.size_t(6*len(s) + 32)))
	defer C.free(unsafe.Pointer(buf))
	cs := C.CBytes([]byte(s))
	defer C.free(cs)
	n := C.json_escape_exit(buf, (*C.char)(cs), C.size_t(len(s)))
	return C.GoBytes(unsafe.Pointer(buf), C.int(n))
}

// logWrite is one chunk of output read from a stream (1 stdout, 2 stderr);
// stream 0 instead deletes every file of the log (someone cleaning up
// under a running container).
type logWrite struct {
	stream int
	data   []byte
	probe  func() // if set, called at this point instead of a write
}

// cLogStreams feeds chunks through the C json-file writer (line splitting,
// partial lines, rotation) with the clock fixed at t, then closes it.
func cLogStreams(path string, maxSize int64, maxFile int, writes []logWrite, t time.Time) error {
	spec := (*C.struct_timespec)(C.malloc(C.size_t(unsafe.Sizeof(C.struct_timespec{}))))
	defer C.free(unsafe.Pointer(spec))
	spec.tv_sec, spec.tv_nsec = C.long(t.Unix()), C.long(t.Nanosecond())
	C.log_clock_override = spec
	defer func() { C.log_clock_override = nil }()

	w := (*C.struct_logw)(C.calloc(1, C.size_t(unsafe.Sizeof(C.struct_logw{}))))
	defer C.free(unsafe.Pointer(w))
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	errBuf := (*C.char)(C.malloc(4096))
	defer C.free(unsafe.Pointer(errBuf))
	if C.logw_open(w, cpath, C.int64_t(maxSize), C.int(maxFile), errBuf, 4096) != 0 {
		return errors.New(C.GoString(errBuf))
	}
	buf := C.malloc(C.LOG_BUFFER_SIZE)
	defer C.free(buf)
	C.logw_use_buffer(w, (*C.char)(buf))
	streams := (*[2]C.struct_logstream)(C.calloc(2, C.size_t(unsafe.Sizeof(C.struct_logstream{}))))
	defer C.free(unsafe.Pointer(streams))
	names := [2]*C.char{C.CString("stdout"), C.CString("stderr")}
	for i := range streams {
		streams[i].w = w
		streams[i].name = names[i]
		defer C.free(unsafe.Pointer(names[i]))
	}
	for _, wr := range writes {
		if wr.probe != nil {
			wr.probe()
			continue
		}
		if wr.stream == 0 {
			matches, _ := filepath.Glob(path + "*")
			for _, m := range matches {
				os.Remove(m)
			}
			continue
		}
		data := C.CBytes(wr.data)
		C.logstream_write(&streams[wr.stream-1], (*C.char)(data), C.size_t(len(wr.data)))
		C.free(data)
	}
	for i := range streams {
		C.logstream_close(&streams[i])
	}
	if C.logw_close(w, errBuf, 4096) != 0 {
		return errors.New(C.GoString(errBuf))
	}
	return nil
}

// cFlatJSON parses a runtime log line as the shim does: ok, and the string
// values of "level" and "msg" ("" if absent).
func cFlatJSON(line string) (level, msg string, ok bool) {
	b := C.CBytes([]byte(line))
	defer C.free(b)
	var l, m *C.char
	ok = bool(C.flat_json((*C.char)(b), C.size_t(len(line)), &l, &m))
	if l != nil {
		level = C.GoString(l)
		C.free(unsafe.Pointer(l))
	}
	if m != nil {
		msg = C.GoString(m)
		C.free(unsafe.Pointer(m))
	}
	return level, msg, ok
}

// cLastRuntimeError is the message the shim reports from a runtime log.
func cLastRuntimeError(path string) string {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	buf := (*C.char)(C.malloc(4096))
	defer C.free(unsafe.Pointer(buf))
	if !C.last_runtime_error(cpath, buf, 4096) {
		return ""
	}
	return C.GoString(buf)
}

// cSparesLinked counts the rotations that linked a file made ahead.
func cSparesLinked() uint64 { return uint64(C.spares_linked) }
