package errdefs

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"testing"
)

func TestKindsAndHTTPStatus(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		kind   Kind
		status int
	}{
		{"not found", NotFound("No such container: %s", "web"), KindNotFound, http.StatusNotFound},
		{"invalid", Invalid("bad %d", 1), KindInvalid, http.StatusBadRequest},
		{"conflict", Conflict("in use"), KindConflict, http.StatusConflict},
		{"not modified", NotModified("already started"), KindNotModified, http.StatusNotModified},
		{"forbidden", Forbidden("nope"), KindForbidden, http.StatusForbidden},
		{"unavailable", Unavailable("down"), KindUnavailable, http.StatusServiceUnavailable},
		{"not implemented", NotImplemented("later"), KindNotImplemented, http.StatusNotImplemented},
		{"plain error", errors.New("boom"), KindUnknown, http.StatusInternalServerError},
		{"nil", nil, KindUnknown, http.StatusInternalServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := KindOf(tt.err); got != tt.kind {
				t.Errorf("KindOf = %v, want %v", got, tt.kind)
			}
			if got := HTTPStatus(tt.err); got != tt.status {
				t.Errorf("HTTPStatus = %d, want %d", got, tt.status)
			}
			wrapped := fmt.Errorf("context: %w", tt.err)
			if got := KindOf(wrapped); got != tt.kind {
				t.Errorf("KindOf(wrapped) = %v, want %v", got, tt.kind)
			}
			if got := HTTPStatus(wrapped); got != tt.status {
				t.Errorf("HTTPStatus(wrapped) = %d, want %d", got, tt.status)
			}
		})
	}
}

func TestMessageKeptVerbatim(t *testing.T) {
	err := NotFound("No such container: %s", "web")
	if got := err.Error(); got != "No such container: web" {
		t.Errorf("message = %q", got)
	}
	if got := fmt.Errorf("outer: %w", err).Error(); got != "outer: No such container: web" {
		t.Errorf("wrapped message = %q", got)
	}
}

func TestIsHelpers(t *testing.T) {
	nf, cf, inv := NotFound("x"), Conflict("x"), Invalid("x")
	deep := fmt.Errorf("a: %w", fmt.Errorf("b: %w", nf))
	tests := []struct {
		name                 string
		err                  error
		notFound, conf, invd bool
	}{
		{"not found", nf, true, false, false},
		{"conflict", cf, false, true, false},
		{"invalid", inv, false, false, true},
		{"double wrapped not found", deep, true, false, false},
		{"plain", io.EOF, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if IsNotFound(tt.err) != tt.notFound || IsConflict(tt.err) != tt.conf || IsInvalid(tt.err) != tt.invd {
				t.Errorf("IsNotFound/IsConflict/IsInvalid = %v/%v/%v, want %v/%v/%v",
					IsNotFound(tt.err), IsConflict(tt.err), IsInvalid(tt.err), tt.notFound, tt.conf, tt.invd)
			}
		})
	}
}

func TestAsKeepsMessageAndChain(t *testing.T) {
	if As(KindNotFound, nil) != nil {
		t.Fatal("As(kind, nil) != nil")
	}
	err := As(KindConflict, io.ErrUnexpectedEOF)
	if err.Error() != io.ErrUnexpectedEOF.Error() {
		t.Errorf("message = %q, want %q", err.Error(), io.ErrUnexpectedEOF.Error())
	}
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Error("As lost the wrapped error for errors.Is")
	}
	if KindOf(err) != KindConflict || HTTPStatus(err) != http.StatusConflict {
		t.Errorf("kind = %v status = %d, want conflict/409", KindOf(err), HTTPStatus(err))
	}
	// Re-kinding: the outermost kind wins.
	re := As(KindInvalid, NotFound("gone"))
	if KindOf(re) != KindInvalid {
		t.Errorf("outermost kind = %v, want invalid", KindOf(re))
	}
	if re.Error() != "gone" {
		t.Errorf("re-kinded message = %q, want %q", re.Error(), "gone")
	}
}

func TestFormatWrapsCause(t *testing.T) {
	err := Invalid("parse: %w", io.EOF)
	if !errors.Is(err, io.EOF) {
		t.Error("%w in the format is not unwrappable")
	}
	if err.Error() != "parse: EOF" {
		t.Errorf("message = %q", err.Error())
	}
}
