// Package detachkeys finds Docker's detach sequence (ctrl-p,ctrl-q by
// default) in an attached client's input, so `docker attach` and
// `docker run -it` users can leave a container running.
package detachkeys

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// Default is Docker's default sequence.
const Default = "ctrl-p,ctrl-q"

// ErrDetached is returned by Reader once the sequence was typed.
var ErrDetached = errors.New("detached")

// Parse turns "ctrl-p,ctrl-q" or "a,ctrl-@" into bytes, as Docker does:
// "ctrl-" followed by a letter or one of @[\]^_, or a single character.
func Parse(spec string) ([]byte, error) {
	if spec == "" {
		spec = Default
	}
	var out []byte
	for _, key := range strings.Split(spec, ",") {
		switch {
		case len(key) == 1:
			out = append(out, key[0])
		case strings.HasPrefix(key, "ctrl-") && len(key) == 6:
			c := key[5]
			switch {
			case c >= 'a' && c <= 'z':
				out = append(out, c-'a'+1)
			case c == '@':
				out = append(out, 0)
			case c >= '[' && c <= '_':
				out = append(out, c-'['+27)
			default:
				return nil, fmt.Errorf("Unknown character: '%s'", key)
			}
		default:
			return nil, fmt.Errorf("Unknown character: '%s'", key)
		}
	}
	return out, nil
}

// Reader passes input through until the sequence appears. Bytes that
// start the sequence are held back until it is clear they are not it.
type Reader struct {
	r        io.Reader
	keys     []byte
	matched  int    // how many bytes of keys the input has matched so far
	pending  []byte // input ready to hand out
	detached bool   // the sequence was seen: ErrDetached once pending is out
	err      error  // the underlying reader's error, after pending is out
}

func NewReader(r io.Reader, keys []byte) *Reader { return &Reader{r: r, keys: keys} }

func (d *Reader) Read(p []byte) (int, error) {
	if len(d.keys) == 0 {
		return d.r.Read(p)
	}
	for len(d.pending) == 0 {
		switch {
		case d.detached:
			return 0, ErrDetached
		case d.err != nil:
			return 0, d.err
		}
		buf := make([]byte, len(p))
		n, err := d.r.Read(buf)
		d.scan(buf[:n])
		if err != nil && !d.detached {
			// The input ended: what was held back was not the sequence.
			d.pending = append(d.pending, d.keys[:d.matched]...)
			d.matched = 0
			d.err = err
		}
	}
	n := copy(p, d.pending)
	d.pending = d.pending[n:]
	return n, nil
}

// scan moves input into pending, holding back a possible start of the
// sequence and stopping at a complete one.
func (d *Reader) scan(in []byte) {
	for _, b := range in {
		if b == d.keys[d.matched] {
			d.matched++
			if d.matched == len(d.keys) {
				d.detached = true
				return
			}
			continue
		}
		d.pending = append(d.pending, d.keys[:d.matched]...)
		d.matched = 0
		if b == d.keys[0] {
			d.matched = 1
		} else {
			d.pending = append(d.pending, b)
		}
	}
}
