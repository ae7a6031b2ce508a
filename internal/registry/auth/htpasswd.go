package auth

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// Htpasswd holds bcrypt password hashes by user, read from an Apache htpasswd file
// (`htpasswd -B` entries, as the docker registry's htpasswd auth takes).
type Htpasswd struct {
	users map[string][]byte
	// dummy is compared against for unknown users, made at the file's highest cost so
	// that they take as long as a wrong password does.
	dummy []byte
}

// LoadHtpasswd reads path. Entries that are not bcrypt are refused: they would be weaker
// than what the user asked for.
func LoadHtpasswd(path string) (*Htpasswd, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := &Htpasswd{users: map[string][]byte{}}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		user, hash, ok := strings.Cut(line, ":")
		if !ok || !strings.HasPrefix(hash, "$2") {
			return nil, fmt.Errorf("%s:%d: not a bcrypt htpasswd entry", path, n)
		}
		h.users[user] = []byte(hash)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	cost := bcrypt.MinCost
	for _, hash := range h.users {
		if c, err := bcrypt.Cost(hash); err == nil && c > cost {
			cost = c
		}
	}
	// Made here, not at package init: every berth command links this package, and a
	// bcrypt at init would tax each CLI start.
	dummy, err := bcrypt.GenerateFromPassword([]byte("dummy"), cost)
	if err != nil {
		return nil, err
	}
	h.dummy = dummy
	return h, nil
}

// Check reports whether user's password matches.
func (h *Htpasswd) Check(user, password string) bool {
	hash, ok := h.users[user]
	if !ok {
		// Compare anyway so that unknown users take as long as wrong passwords.
		_ = bcrypt.CompareHashAndPassword(h.dummy, []byte(password))
		return false
	}
	return bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil
}

// Basic is the Authorizer for `--auth basic`: every request carries the user's password.
// Successful checks are cached for the process's life, keyed by the exact header, because
// bcrypt costs tens of milliseconds per request.
type Basic struct {
	Realm string
	Users *Htpasswd
	cache syncSet
}

// Authorize implements Authorizer.
func (b *Basic) Authorize(r *http.Request, _ []Access) error {
	hdr := r.Header.Get("Authorization")
	if hdr != "" && b.cache.has(hdr) {
		return nil
	}
	if user, pass, ok := r.BasicAuth(); ok && b.Users.Check(user, pass) {
		b.cache.add(hdr)
		return nil
	}
	return &Challenge{Header: fmt.Sprintf("Basic realm=%q", b.Realm), Message: "authentication required"}
}
