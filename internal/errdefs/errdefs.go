// Package errdefs gives engine errors a kind that the API turns into Docker's
// HTTP status. The message is kept exactly as written: clients (and users'
// scripts) match on Docker's wording, e.g. "No such container: web".
package errdefs

import (
	"errors"
	"fmt"
	"net/http"
)

// Kind classifies an error for the API.
type Kind int

const (
	KindUnknown Kind = iota
	KindNotFound
	KindInvalid
	KindConflict
	KindNotModified
	KindForbidden
	KindUnavailable
	KindNotImplemented
)

type kindError struct {
	kind Kind
	err  error
}

func (e *kindError) Error() string { return e.err.Error() }
func (e *kindError) Unwrap() error { return e.err }

func wrap(k Kind, format string, args ...any) error {
	return &kindError{kind: k, err: fmt.Errorf(format, args...)}
}

func NotFound(format string, args ...any) error    { return wrap(KindNotFound, format, args...) }
func Invalid(format string, args ...any) error     { return wrap(KindInvalid, format, args...) }
func Conflict(format string, args ...any) error    { return wrap(KindConflict, format, args...) }
func NotModified(format string, args ...any) error { return wrap(KindNotModified, format, args...) }
func Forbidden(format string, args ...any) error   { return wrap(KindForbidden, format, args...) }
func Unavailable(format string, args ...any) error { return wrap(KindUnavailable, format, args...) }
func NotImplemented(format string, args ...any) error {
	return wrap(KindNotImplemented, format, args...)
}

// As gives err the kind k, keeping its message.
func As(k Kind, err error) error {
	if err == nil {
		return nil
	}
	return &kindError{kind: k, err: err}
}

// KindOf finds the outermost kind in err's chain.
func KindOf(err error) Kind {
	var ke *kindError
	if errors.As(err, &ke) {
		return ke.kind
	}
	return KindUnknown
}

func IsNotFound(err error) bool { return KindOf(err) == KindNotFound }
func IsConflict(err error) bool { return KindOf(err) == KindConflict }
func IsInvalid(err error) bool  { return KindOf(err) == KindInvalid }

// HTTPStatus is the status Docker's API answers for err.
func HTTPStatus(err error) int {
	switch KindOf(err) {
	case KindNotFound:
		return http.StatusNotFound
	case KindInvalid:
		return http.StatusBadRequest
	case KindConflict:
		return http.StatusConflict
	case KindNotModified:
		return http.StatusNotModified
	case KindForbidden:
		return http.StatusForbidden
	case KindUnavailable:
		return http.StatusServiceUnavailable
	case KindNotImplemented:
		return http.StatusNotImplemented
	case KindUnauthorized:
		return http.StatusUnauthorized
	}
	return http.StatusInternalServerError
}
