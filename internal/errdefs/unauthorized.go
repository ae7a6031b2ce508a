package errdefs

// KindUnauthorized is a registry refusing the credentials (401, as dockerd
// answers a failed login). Kept apart from the iota list so that other
// kinds can be added there without renumbering.
const KindUnauthorized Kind = 100

func Unauthorized(format string, args ...any) error {
	return wrap(KindUnauthorized, format, args...)
}
