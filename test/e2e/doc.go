// Package e2e holds berth's end-to-end tests: each test starts a real `berth daemon` on
// temporary roots and drives it with the real docker CLI, berth's own CLI, the moby Go
// client and raw HTTP. They need root, /usr/local/bin/docker and runc; otherwise they skip.
//
//	go test -count=1 -v ./test/e2e/...
package e2e
