package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Lock stalls: removing a container or a volume deletes its files after
// the daemon has let go of its locks, so other requests answer while the
// deletion runs. Each test fills the thing to remove with many files,
// removes it with the docker CLI, waits until the deletion is under way
// (the directory renamed to its trash name) and then asks the daemon
// something that used to wait for it; the answer must come while the trash
// still exists.

// manyFiles makes the deletion take a while (seconds) next to an API call
// (milliseconds).
const manyFiles = "100000"

// trashIn polls dir for a ".rm-" entry while rm runs; it returns the
// entry's path, or "" when rm ended first.
func trashIn(dir string, rmDone <-chan struct{}) string {
	for {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), ".rm-") {
				return filepath.Join(dir, e.Name())
			}
		}
		select {
		case <-rmDone:
			return ""
		default:
			time.Sleep(time.Millisecond)
		}
	}
}

func TestLocksPsAnswersWhileARemovedContainersLayerIsDeleted(t *testing.T) {
	d := sharedDaemon(t)
	big, other := uniqueName(t), uniqueName(t)
	if r := d.dk("run", "--name", big, "busybox", "sh", "-c", "mkdir /d && cd /d && seq 1 "+manyFiles+" | xargs touch"); r.Code != 0 {
		t.Fatal(r)
	}
	if r := d.dk("create", "--name", other, "busybox", "true"); r.Code != 0 {
		t.Fatal(r)
	}
	defer d.dk("rm", "-f", other)
	id := strings.TrimSpace(d.dk("inspect", "-f", "{{.Id}}", big).Stdout)
	var rm result
	rmDone := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		rm = d.dk("rm", big)
		close(rmDone)
	}()
	trash := trashIn(filepath.Join(d.dataRoot, "containers"), rmDone)
	if trash == "" {
		wg.Wait()
		t.Fatalf("docker rm (%s) ended without its container directory ever being renamed away", rm)
	}
	code, body, _ := apiCall(t, d, http.MethodGet, "/containers/json?all=1", "", nil)
	_, stillDeleting := os.Stat(trash)
	wg.Wait()
	if rm.Code != 0 {
		t.Fatal(rm)
	}
	if code != http.StatusOK || !strings.Contains(body, "/"+other) {
		t.Fatalf("ps during rm: %d %s", code, body)
	}
	if strings.Contains(body, id) {
		t.Fatalf("ps lists the container being removed: %s", body)
	}
	if stillDeleting != nil {
		t.Fatal("ps answered only after the container's layer was deleted")
	}
	if _, err := os.Stat(trash); !os.IsNotExist(err) {
		t.Fatalf("trash left after rm: %v", err)
	}
}

func TestLocksVolumeInspectAnswersWhileARemovedVolumeIsDeleted(t *testing.T) {
	d := sharedDaemon(t)
	big, other := uniqueName(t), uniqueName(t)
	for _, v := range []string{big, other} {
		if r := d.dk("volume", "create", v); r.Code != 0 {
			t.Fatal(r)
		}
	}
	defer d.dk("volume", "rm", other)
	if r := d.dk("run", "--rm", "-v", big+":/d", "busybox", "sh", "-c", "cd /d && seq 1 "+manyFiles+" | xargs touch"); r.Code != 0 {
		t.Fatal(r)
	}
	var rm result
	rmDone := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		rm = d.dk("volume", "rm", big)
		close(rmDone)
	}()
	trash := trashIn(filepath.Join(d.dataRoot, "volumes"), rmDone)
	if trash == "" {
		wg.Wait()
		t.Fatalf("docker volume rm (%s) ended without the volume ever being renamed away", rm)
	}
	code, body, _ := apiCall(t, d, http.MethodGet, "/volumes/"+other, "", nil)
	gone, _, _ := apiCall(t, d, http.MethodGet, "/volumes/"+big, "", nil)
	_, stillDeleting := os.Stat(trash)
	wg.Wait()
	if rm.Code != 0 {
		t.Fatal(rm)
	}
	if code != http.StatusOK {
		t.Fatalf("volume inspect during rm: %d %s", code, body)
	}
	if gone != http.StatusNotFound {
		t.Fatalf("the volume being removed answers %d", gone)
	}
	if stillDeleting != nil {
		t.Fatal("volume inspect answered only after the volume's files were deleted")
	}
}
